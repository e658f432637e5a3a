//! hayagriva's formatted output as HTML and as plain text.
//!
//! hayagriva's own HTML writer neither escapes text nor avoids inline `style` attributes (which
//! the site's Content-Security-Policy blocks), so its element tree is serialised here: text
//! escaped, italics as `<i>`, bold as `<b>`, small caps as a class, links only for http(s).

use hayagriva::{ElemChild, ElemChildren};

use crate::markdown::{escape_attr, escape_text};

/// Serialise formatted children as HTML.
pub(crate) fn write_html(out: &mut String, children: &ElemChildren) {
    for child in &children.0 {
        write_html_child(out, child);
    }
}

/// Serialise one formatted child as HTML.
pub(crate) fn write_html_child(out: &mut String, child: &ElemChild) {
    use hayagriva::citationberg::{FontStyle, FontVariant, FontWeight, VerticalAlign};
    match child {
        ElemChild::Text(f) => {
            let fm = &f.formatting;
            let mut open = String::new();
            let mut close = Vec::new();
            if fm.font_style == FontStyle::Italic {
                open.push_str("<i>");
                close.push("</i>");
            }
            if fm.font_weight == FontWeight::Bold {
                open.push_str("<b>");
                close.push("</b>");
            }
            if fm.font_variant == FontVariant::SmallCaps {
                open.push_str("<span class=\"small-caps\">");
                close.push("</span>");
            }
            match fm.vertical_align {
                VerticalAlign::Sup => {
                    open.push_str("<sup>");
                    close.push("</sup>");
                }
                VerticalAlign::Sub => {
                    open.push_str("<sub>");
                    close.push("</sub>");
                }
                _ => {}
            }
            out.push_str(&open);
            out.push_str(&escape_text(&f.text));
            for c in close.iter().rev() {
                out.push_str(c);
            }
        }
        ElemChild::Elem(e) => write_html(out, &e.children),
        ElemChild::Markup(m) => out.push_str(&escape_text(m)),
        ElemChild::Link { text, url } => {
            let safe = url.starts_with("https://") || url.starts_with("http://");
            if safe {
                out.push_str(&format!("<a href=\"{}\">", escape_attr(url)));
            }
            write_html_child(out, &ElemChild::Text(text.clone()));
            if safe {
                out.push_str("</a>");
            }
        }
        ElemChild::Transparent { .. } => {}
    }
}

/// The text of HTML produced by this module (tags removed, entities decoded): for the command
/// line, `<meta>` descriptions and copy buttons' fallbacks.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_strips_tags_and_decodes() {
        assert_eq!(
            plain_text("<i>A &amp; B</i> &lt;x&gt; <a href=\"u\">link</a>"),
            "A & B <x> link"
        );
    }
}
