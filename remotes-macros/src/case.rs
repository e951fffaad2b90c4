//! Names derived from a remote's name.

use proc_macro2::Ident;

/// The remote's name as it travels and as users read it: the identifier without any `r#` prefix.
pub fn wire_name(ident: &Ident) -> String {
    let name = ident.to_string();
    match name.strip_prefix("r#") {
        Some(raw) => raw.to_owned(),
        None => name,
    }
}

/// `buy_item` -> `BuyItem`: each `_`-separated part with its first letter in upper case, the rest kept.
///
/// `None` when the result is not a usable type name (empty, starting with a digit, or `Self`).
pub fn upper_camel(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    for part in name.split('_') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    let usable = out.chars().next().is_some_and(|c| !c.is_ascii_digit()) && out != "Self";
    usable.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_becomes_upper_camel_case() {
        assert_eq!(upper_camel("buy_item").as_deref(), Some("BuyItem"));
        assert_eq!(upper_camel("chat").as_deref(), Some("Chat"));
        assert_eq!(upper_camel("get_http_url").as_deref(), Some("GetHttpUrl"));
        assert_eq!(upper_camel("item2_x").as_deref(), Some("Item2X"));
        assert_eq!(upper_camel("_private").as_deref(), Some("Private"));
        assert_eq!(upper_camel("double__underscore_").as_deref(), Some("DoubleUnderscore"));
        assert_eq!(upper_camel("already_Camel").as_deref(), Some("AlreadyCamel"));
        assert_eq!(upper_camel("héllo_wörld").as_deref(), Some("HélloWörld"));
    }

    #[test]
    fn unusable_names_are_refused() {
        assert_eq!(upper_camel("__"), None);
        assert_eq!(upper_camel("_1st"), None);
        assert_eq!(upper_camel("self_"), None);
    }

    #[test]
    fn raw_identifiers_lose_their_prefix() {
        let ident: Ident = syn::parse_str("r#type").unwrap();
        assert_eq!(wire_name(&ident), "type");
        assert_eq!(upper_camel(&wire_name(&ident)).as_deref(), Some("Type"));
    }
}
