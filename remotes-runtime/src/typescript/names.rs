//! Names in the generated TypeScript: camelCase and PascalCase from Rust names, identifiers, reserved words and
//! quoting.

/// `buy_item` -> `buyItem`: every `_` between two parts is removed and the part after it starts in upper case.
/// Leading and trailing underscores are kept (`_hidden` stays `_hidden`), the rest of each part is unchanged.
pub(crate) fn camel(name: &str) -> String {
    let start = name.len() - name.trim_start_matches('_').len();
    let end = name.trim_end_matches('_').len().max(start);
    let mut out = String::with_capacity(name.len());
    out.push_str(&name[..start]);
    for (i, part) in name[start..end].split('_').filter(|part| !part.is_empty()).enumerate() {
        if i == 0 {
            out.push_str(part);
        } else {
            let mut chars = part.chars();
            out.extend(chars.next().into_iter().flat_map(char::to_uppercase));
            out.push_str(chars.as_str());
        }
    }
    out.push_str(&name[end..]);
    out
}

/// `my_net` -> `MyNet`: like [`camel`], with the first letter in upper case too (leading underscores dropped).
pub(crate) fn pascal(name: &str) -> String {
    let camel = camel(name.trim_start_matches('_'));
    let mut chars = camel.chars();
    chars.next().into_iter().flat_map(char::to_uppercase).chain(chars).collect()
}

/// Words that cannot name a variable, a constant or a tuple label in (strict-mode) TypeScript.
const RESERVED: [&str; 46] = [
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "implements",
    "interface",
    "let",
    "package",
    "private",
    "protected",
    "public",
    "static",
    "yield",
    "await",
];

/// Names TypeScript keeps for its own types: no type alias or interface may take them.
const TYPE_KEYWORDS: [&str; 13] = [
    "any",
    "bigint",
    "boolean",
    "never",
    "null",
    "number",
    "object",
    "string",
    "symbol",
    "undefined",
    "unknown",
    "void",
    "type",
];

/// Whether `name` is a JavaScript identifier (ASCII letters, digits, `_` and `$`, or any non-ASCII letter or digit,
/// not starting with a digit). Reserved words are identifiers here: they are fine as property names.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return false };
    let start = |c: char| c == '_' || c == '$' || c.is_alphabetic();
    start(first) && chars.all(|c| start(c) || c.is_alphanumeric())
}

/// Whether `name` is a reserved word, which cannot name a binding or a tuple label.
pub(crate) fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

/// Why `name` cannot name an exported TypeScript type, if it cannot.
pub(crate) fn type_name_problem(name: &str) -> Option<&'static str> {
    if !is_identifier(name) {
        Some("it is not a TypeScript identifier")
    } else if is_reserved(name) {
        Some("it is a reserved word in TypeScript")
    } else if TYPE_KEYWORDS.contains(&name) {
        Some("TypeScript keeps that name for one of its own types")
    } else {
        None
    }
}

/// A tuple label for an argument: its camelCase name, with `_` appended to a reserved word (`new` -> `new_`).
pub(crate) fn label(camel: &str) -> String {
    if is_reserved(camel) { format!("{camel}_") } else { camel.to_owned() }
}

/// A property name: as it is when it is an identifier, else a quoted string.
pub(crate) fn property(name: &str) -> String {
    if is_identifier(name) { name.to_owned() } else { quote(name) }
}

/// `text` as a JSON (and TypeScript) string literal, with its double quotes.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_becomes_camel_case() {
        assert_eq!(camel("buy_item"), "buyItem");
        assert_eq!(camel("chat"), "chat");
        assert_eq!(camel("get_http_url"), "getHttpUrl");
        assert_eq!(camel("item_2"), "item2");
        assert_eq!(camel("double__underscore"), "doubleUnderscore");
        assert_eq!(camel("_hidden"), "_hidden");
        assert_eq!(camel("type_"), "type_");
        assert_eq!(camel("__"), "__");
        assert_eq!(camel("héllo_wörld"), "hélloWörld");
        assert_eq!(camel("already_Camel"), "alreadyCamel");
    }

    #[test]
    fn module_names_become_pascal_case() {
        assert_eq!(pascal("net"), "Net");
        assert_eq!(pascal("my_net"), "MyNet");
        assert_eq!(pascal("_net"), "Net");
    }

    #[test]
    fn identifiers_and_reserved_words() {
        for name in ["a", "coins_left", "$x", "_", "Ünïcode", "x1"] {
            assert!(is_identifier(name), "{name}");
        }
        for name in ["", "1x", "my-field", "a b", "a.b"] {
            assert!(!is_identifier(name), "{name}");
        }
        assert_eq!(label("new"), "new_");
        assert_eq!(label("class"), "class_");
        assert_eq!(label("from"), "from");
        assert_eq!(label("type"), "type");
        assert_eq!(type_name_problem("Receipt"), None);
        assert!(type_name_problem("my-type").is_some());
        assert!(type_name_problem("class").is_some());
        assert!(type_name_problem("string").is_some());
    }

    #[test]
    fn properties_are_quoted_only_when_needed() {
        assert_eq!(property("coins_left"), "coins_left");
        assert_eq!(property("default"), "default");
        assert_eq!(property("my-field"), "\"my-field\"");
        assert_eq!(property("0"), "\"0\"");
        assert_eq!(quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
