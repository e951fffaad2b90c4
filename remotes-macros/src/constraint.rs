//! Constraints on a remote's arguments: `#[remote(range = 1..=99)]`, `#[remote(len = ..=200)]`,
//! `#[remote(validate = path)]` and `#[remote(allow_non_finite)]`, in one attribute or several.
//!
//! Parsing is in two steps: the attribute's content is read as a list of `key` or `key = expression` entries, then
//! each entry is checked on its own, so that several mistakes in one attribute are all reported.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprRange, RangeLimits, Token, Type};

use crate::valid::tidy;

/// The keys `#[remote(...)]` takes.
const KEYS: [&str; 4] = ["range", "len", "validate", "allow_non_finite"];

/// Everything declared on one argument, in declaration order.
#[derive(Default)]
pub struct Constraints {
    pub items: Vec<Constraint>,
    /// The argument's type is written `f32` or `f64` and it is not marked `allow_non_finite`: NaN and the
    /// infinities are rejected.
    pub finite: bool,
}

/// One `key = value` (or bare `allow_non_finite`) entry.
pub struct Constraint {
    pub key: Ident,
    pub kind: Kind,
    /// The entry as written, `range = 1..=99`, for spans, documentation and the signature hash.
    pub tokens: TokenStream,
}

pub enum Kind {
    /// `range = <range expression>`.
    Range(ExprRange),
    /// `len = <range expression>`.
    Len(ExprRange),
    /// `validate = <path to a function>`.
    Validate(Expr),
    AllowNonFinite,
}

impl Constraints {
    /// Whether the argument needs a check at all.
    pub fn any_check(&self) -> bool {
        self.finite || self.items.iter().any(|item| !matches!(item.kind, Kind::AllowNonFinite))
    }

    /// The `len` constraint's range, if there is one.
    pub fn len(&self) -> Option<&ExprRange> {
        self.items.iter().find_map(|item| match &item.kind {
            Kind::Len(range) => Some(range),
            _ => None,
        })
    }

    /// The largest length `len = ...` admits, as a `usize` constant expression: `..=N` and `a..=N` give `N`,
    /// `..N` and `a..N` give `N - 1` (saturating at 0); `None` without an upper bound.
    ///
    /// A literal bound is computed here and written without a suffix. Any other bound is cast to `usize`: a bound
    /// of another type is already reported by the `len` check (its range is not a range of `usize`), so the table
    /// must not report it a second time.
    pub fn max_len(&self) -> Option<TokenStream> {
        let range = self.len()?;
        let end = range.end.as_deref()?;
        let closed = matches!(range.limits, RangeLimits::Closed(_));
        let literal = match end {
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(int), .. }) => int.base10_parse::<u128>().ok(),
            _ => None,
        };
        if let Some(n) = literal {
            let n = if closed { n } else { n.saturating_sub(1) };
            return Some(syn::LitInt::new(&n.to_string(), end_span(end)).into_token_stream());
        }
        let operand = match end {
            Expr::Path(_) | Expr::Lit(_) | Expr::Paren(_) | Expr::Call(_) | Expr::MethodCall(_) | Expr::Field(_) => {
                end.to_token_stream()
            }
            _ => quote!((#end)),
        };
        let cast = quote!(#operand as ::core::primitive::usize);
        Some(if closed { cast } else { quote!(::core::primitive::usize::saturating_sub(#cast, 1)) })
    }

    /// The constraints as the signature hash spells them, `#[remote(range=1..=99)]` (whitespace is removed by
    /// the hash); empty without any, so that such arguments hash as they always did.
    pub fn canonical(&self) -> Option<TokenStream> {
        if self.items.is_empty() {
            return None;
        }
        let items = self.items.iter().map(|item| &item.tokens);
        Some(quote!(#[remote(#(#items),*)]))
    }

    /// One line per constraint for the documentation, `` `range = 1..=99` ``.
    pub fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = self.items.iter().map(Constraint::describe).collect();
        if self.finite {
            out.push("finite (NaN and infinities are rejected)".to_owned());
        }
        out
    }
}

impl Constraint {
    /// `` `range = 1..=99` ``, `` `allow_non_finite` ``.
    pub fn describe(&self) -> String {
        let value = match &self.kind {
            Kind::Range(range) | Kind::Len(range) => tidy_range(&tidy(range)),
            Kind::Validate(path) => tidy(path),
            Kind::AllowNonFinite => return format!("`{}`", self.key),
        };
        format!("`{} = {value}`", self.key)
    }

    /// The span of the key, where generated checks for this entry are reported.
    pub fn span(&self) -> Span {
        self.tokens.clone().into_iter().next().map_or_else(Span::call_site, |token| token.span())
    }

    /// The span of the entry's last token, so that an expression spanned from [`Constraint::span`] to it covers
    /// the whole entry.
    pub fn end_span(&self) -> Span {
        self.tokens.clone().into_iter().last().map_or_else(Span::call_site, |token| token.span())
    }
}

fn end_span(expr: &Expr) -> Span {
    expr.to_token_stream().into_iter().last().map_or_else(Span::call_site, |token| token.span())
}

/// `1..=99` rather than `1 ..= 99`.
fn tidy_range(text: &str) -> String {
    let text = text.replace(" ..= ", "..=").replace("..= ", "..=").replace(" .. ", "..").replace(".. ", "..");
    text.replace(" ..", "..").replace("- ", "-")
}

/// Whether the type is written `f32` or `f64`.
pub fn is_float(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path.qself.is_none() && (path.path.is_ident("f32") || path.path.is_ident("f64")),
        Type::Group(group) => is_float(&group.elem),
        Type::Paren(paren) => is_float(&paren.elem),
        _ => false,
    }
}

/// Reads the constraints of an argument of type `ty` from its attributes; every mistake goes to `errors`.
/// Attributes other than `#[remote(...)]` are refused.
pub fn parse(attrs: &[Attribute], ty: &Type, errors: &mut Vec<syn::Error>) -> Constraints {
    let mut constraints = Constraints::default();
    let mut keys: Vec<Ident> = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("remote") {
            errors.push(syn::Error::new_spanned(
                attr,
                "unsupported attribute on a remote's argument; the only one allowed is `#[remote(...)]` with \
                 constraints: `range = a..=b`, `len = ..=n`, `validate = path::to::check`, `allow_non_finite`",
            ));
            continue;
        }
        let list = match &attr.meta {
            syn::Meta::List(list) => list,
            _ => {
                errors.push(syn::Error::new_spanned(attr, empty_message()));
                continue;
            }
        };
        let entries = match list.parse_args_with(Punctuated::<RawEntry, Token![,]>::parse_terminated) {
            Ok(entries) => entries,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        if entries.is_empty() {
            errors.push(syn::Error::new_spanned(attr, empty_message()));
            continue;
        }
        for entry in entries {
            let key = entry.key.to_string();
            if keys.iter().any(|seen| *seen == key) {
                errors.push(syn::Error::new_spanned(
                    &entry,
                    format!("`{key}` is given twice for this argument; give each constraint once"),
                ));
                continue;
            }
            if KEYS.contains(&key.as_str()) {
                keys.push(entry.key.clone());
            }
            match entry.check(ty) {
                Ok(kind) => {
                    constraints.items.push(Constraint { key: entry.key.clone(), kind, tokens: entry.to_token_stream() })
                }
                Err(error) => errors.push(error),
            }
        }
    }
    let allowed = constraints.items.iter().any(|item| matches!(item.kind, Kind::AllowNonFinite));
    constraints.finite = is_float(ty) && !allowed;
    constraints
}

fn empty_message() -> String {
    "`#[remote(...)]` needs at least one constraint: `range = a..=b`, `len = ..=n`, `validate = path::to::check` \
     or `allow_non_finite`"
        .to_owned()
}

/// `key` or `key = expression`, before any check.
struct RawEntry {
    key: Ident,
    value: Option<(Token![=], Expr)>,
}

impl Parse for RawEntry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) { Some((input.parse()?, input.parse()?)) } else { None };
        Ok(RawEntry { key, value })
    }
}

impl ToTokens for RawEntry {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.key.to_tokens(tokens);
        if let Some((eq, value)) = &self.value {
            eq.to_tokens(tokens);
            value.to_tokens(tokens);
        }
    }
}

impl RawEntry {
    fn check(&self, ty: &Type) -> syn::Result<Kind> {
        let key = self.key.to_string();
        match key.as_str() {
            "range" | "len" => {
                let example = if key == "range" { "range = 1..=99" } else { "len = ..=200" };
                let value = self.value(&format!("`{key}` needs a range: `{example}`"))?;
                let Expr::Range(range) = value else {
                    return Err(syn::Error::new_spanned(
                        value,
                        format!(
                            "`{key} = ...` takes a range written out, such as `a..=b`, `a..b`, `a..`, `..b` or \
                             `..=b`; `{}` is not one",
                            tidy(value)
                        ),
                    ));
                };
                if range.start.is_none() && range.end.is_none() {
                    return Err(syn::Error::new_spanned(
                        value,
                        format!("`..` admits everything; give `{key}` at least one bound, or remove it"),
                    ));
                }
                fits(&key, range, ty)?;
                Ok(if key == "range" { Kind::Range(range.clone()) } else { Kind::Len(range.clone()) })
            }
            "validate" => {
                let value = self.value("`validate` needs the path of a function: `validate = path::to::check`")?;
                match value {
                    Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
                        Ok(Kind::Validate(value.clone()))
                    }
                    Expr::Closure(_) => Err(syn::Error::new_spanned(
                        value,
                        "`validate = ...` takes the path of a function, not a closure: write the check as \
                         `fn check(value: &T) -> Result<(), E>` (with `E: Display`) and give `validate = check`",
                    )),
                    _ => Err(syn::Error::new_spanned(
                        value,
                        format!(
                            "`validate = ...` takes the path of a function `fn(&T) -> Result<(), E>`, such as \
                             `crate::checks::no_profanity`; `{}` is not a path",
                            tidy(value)
                        ),
                    )),
                }
            }
            "allow_non_finite" => {
                if let Some((eq, value)) = &self.value {
                    return Err(syn::Error::new_spanned(
                        quote!(#eq #value),
                        "`allow_non_finite` takes no value; write `#[remote(allow_non_finite)]`",
                    ));
                }
                if !is_float(ty) {
                    return Err(syn::Error::new_spanned(
                        &self.key,
                        format!(
                            "`allow_non_finite` applies only to an argument written `f32` or `f64`, which otherwise \
                             rejects NaN and infinities; `{}` has no such check, remove it",
                            tidy(ty)
                        ),
                    ));
                }
                Ok(Kind::AllowNonFinite)
            }
            _ => {
                let hint = suggest(&key).map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default();
                Err(syn::Error::new_spanned(
                    &self.key,
                    format!(
                        "unknown constraint `{key}`{hint}; expected `range = a..=b`, `len = ..=n`, \
                         `validate = path::to::check` or `allow_non_finite`"
                    ),
                ))
            }
        }
    }

    fn value(&self, missing: &str) -> syn::Result<&Expr> {
        match &self.value {
            Some((_, value)) => Ok(value),
            None => Err(syn::Error::new_spanned(&self.key, missing)),
        }
    }
}

/// What the type is, as far as its spelling tells: `Some("a number")` for `u8`, `Some("a string")` for `String`.
fn spelled_kind(ty: &Type) -> Option<&'static str> {
    const NUMBERS: [&str; 14] =
        ["u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64"];
    match ty {
        Type::Group(group) => spelled_kind(&group.elem),
        Type::Paren(paren) => spelled_kind(&paren.elem),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?.ident.to_string();
            let single = path.path.segments.len() == 1;
            match last.as_str() {
                name if single && NUMBERS.contains(&name) => Some("a number"),
                "String" => Some("a string"),
                "Vec" | "VecDeque" | "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet" => Some("a collection"),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The mistakes the spelling of a `range` or `len` and of the argument's type already show: `len` on a number,
/// `range` on a string or a collection, float bounds for an integer, a `len` bound with a suffix other than
/// `usize`. Anything subtler is left to the type checker.
fn fits(key: &str, range: &ExprRange, ty: &Type) -> syn::Result<()> {
    let kind = spelled_kind(ty);
    let bounds = || range.start.iter().chain(&range.end).map(|bound| &**bound);
    let literal = |bound: &Expr| match bound {
        Expr::Lit(syn::ExprLit { lit, .. }) => Some(lit.clone()),
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => match &**expr {
            Expr::Lit(syn::ExprLit { lit, .. }) => Some(lit.clone()),
            _ => None,
        },
        _ => None,
    };
    let ty_text = tidy(ty);
    if key == "len" {
        if kind == Some("a number") {
            return Err(syn::Error::new_spanned(
                range,
                format!(
                    "`len` does not apply to `{ty_text}`: it counts the bytes of a `String` and the elements of a \
                     `Vec`, set or map; bound a number with `range = {}` instead",
                    tidy_range(&tidy(range))
                ),
            ));
        }
        for bound in bounds() {
            if let Some(syn::Lit::Int(int)) = literal(bound) {
                if !int.suffix().is_empty() && int.suffix() != "usize" {
                    return Err(syn::Error::new_spanned(
                        bound,
                        format!(
                            "`len` bounds are `usize`; write `{}` without the `{}` suffix",
                            int.base10_digits(),
                            int.suffix()
                        ),
                    ));
                }
            }
        }
        return Ok(());
    }
    if let Some(what @ ("a string" | "a collection")) = kind {
        return Err(syn::Error::new_spanned(
            range,
            format!(
                "`range` bounds the value of a number, and `{ty_text}` is {what}; to bound its length write \
                 `len = {}`",
                tidy_range(&tidy(range))
            ),
        ));
    }
    if kind == Some("a number") && !is_float(ty) {
        for bound in bounds() {
            if let Some(syn::Lit::Float(_)) = literal(bound) {
                return Err(syn::Error::new_spanned(
                    bound,
                    format!(
                        "`{ty_text}` is an integer, and `{}` is not: write the bounds of a `range` as values of the \
                         argument's type",
                        tidy(bound)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The key a misspelt or guessed key most likely meant.
fn suggest(key: &str) -> Option<&'static str> {
    let lower = key.to_lowercase();
    let alias = match lower.as_str() {
        "min" | "max" | "between" | "bounds" | "value" => Some("range"),
        "length" | "size" | "max_len" | "min_len" | "max_length" | "count" => Some("len"),
        "check" | "validator" | "with" | "validate_with" => Some("validate"),
        "finite" | "allow_nan" | "nan" | "allow_infinite" | "non_finite" => Some("allow_non_finite"),
        _ => None,
    };
    if alias.is_some() {
        return alias;
    }
    KEYS.into_iter()
        .map(|k| (crate::valid::levenshtein(&lower, k), k))
        .filter(|(distance, k)| *distance <= 2.max(k.len() / 4) && *distance < k.len())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn parse_arg(attrs: Vec<Attribute>, ty: Type) -> (Constraints, Vec<String>) {
        let mut errors = Vec::new();
        let constraints = parse(&attrs, &ty, &mut errors);
        (constraints, errors.iter().map(ToString::to_string).collect())
    }

    fn ok(attrs: Vec<Attribute>, ty: Type) -> Constraints {
        let (constraints, errors) = parse_arg(attrs, ty);
        assert!(errors.is_empty(), "{errors:#?}");
        constraints
    }

    fn max_len(attr: Attribute) -> Option<String> {
        ok(vec![attr], parse_quote!(String)).max_len().map(|tokens| tokens.to_string())
    }

    fn err(attrs: Vec<Attribute>, ty: Type) -> Vec<String> {
        let (_, errors) = parse_arg(attrs, ty);
        assert!(!errors.is_empty(), "expected an error");
        errors
    }

    #[test]
    fn every_range_shape_is_accepted() {
        for attr in [
            parse_quote!(#[remote(range = 1..=99)]),
            parse_quote!(#[remote(range = 1..99)]),
            parse_quote!(#[remote(range = 1..)]),
            parse_quote!(#[remote(range = ..99)]),
            parse_quote!(#[remote(range = ..=99)]),
            parse_quote!(#[remote(range = -5..=MAX)]),
            parse_quote!(#[remote(range = self::MIN..super::MAX,)]),
        ] {
            let constraints = ok(vec![attr], parse_quote!(i32));
            assert_eq!(constraints.items.len(), 1);
            assert!(matches!(constraints.items[0].kind, Kind::Range(_)));
            assert!(constraints.any_check());
            assert!(!constraints.finite);
        }
    }

    #[test]
    fn max_len_is_the_upper_bound() {
        assert_eq!(max_len(parse_quote!(#[remote(len = ..=200)])).as_deref(), Some("200"));
        assert_eq!(max_len(parse_quote!(#[remote(len = 3..=20)])).as_deref(), Some("20"));
        assert_eq!(max_len(parse_quote!(#[remote(len = ..64)])).as_deref(), Some("63"));
        assert_eq!(max_len(parse_quote!(#[remote(len = 1..64usize)])).as_deref(), Some("63"));
        assert_eq!(max_len(parse_quote!(#[remote(len = ..0)])).as_deref(), Some("0"));
        assert_eq!(max_len(parse_quote!(#[remote(len = 3..)])), None);
        assert_eq!(max_len(parse_quote!(#[remote(validate = check)])), None);
        assert_eq!(max_len(parse_quote!(#[remote(len = ..=200usize)])).as_deref(), Some("200"));
        let expected = |tokens: TokenStream| Some(tokens.to_string());
        assert_eq!(max_len(parse_quote!(#[remote(len = ..=MAX)])), expected(quote!(MAX as ::core::primitive::usize)));
        assert_eq!(
            max_len(parse_quote!(#[remote(len = ..MAX)])),
            expected(quote!(::core::primitive::usize::saturating_sub(MAX as ::core::primitive::usize, 1)))
        );
        assert_eq!(
            max_len(parse_quote!(#[remote(len = 2..=A + B)])),
            expected(quote!((A + B) as ::core::primitive::usize))
        );
        assert_eq!(
            max_len(parse_quote!(#[remote(len = 2..(A + B))])),
            expected(quote!(::core::primitive::usize::saturating_sub((A + B) as ::core::primitive::usize, 1)))
        );
    }

    #[test]
    fn constraints_combine_in_one_attribute_or_several() {
        let one = ok(vec![parse_quote!(#[remote(len = ..=64, validate = check_path)])], parse_quote!(Vec<(i32, i32)>));
        let several = ok(
            vec![parse_quote!(#[remote(len = ..=64)]), parse_quote!(#[remote(validate = check_path)])],
            parse_quote!(Vec<(i32, i32)>),
        );
        for constraints in [one, several] {
            assert_eq!(constraints.items.len(), 2);
            assert!(matches!(constraints.items[0].kind, Kind::Len(_)));
            assert!(matches!(constraints.items[1].kind, Kind::Validate(_)));
            assert_eq!(constraints.max_len().unwrap().to_string(), "64");
            assert_eq!(
                constraints.canonical().unwrap().to_string(),
                quote!(#[remote(len = ..=64, validate = check_path)]).to_string()
            );
        }
    }

    #[test]
    fn floats_are_checked_for_finiteness_unless_allowed() {
        assert!(ok(vec![], parse_quote!(f32)).finite);
        assert!(ok(vec![], parse_quote!(f64)).any_check());
        assert!(!ok(vec![], parse_quote!(Vec<f32>)).finite);
        assert!(!ok(vec![], parse_quote!(u8)).any_check());
        let allowed = ok(vec![parse_quote!(#[remote(allow_non_finite)])], parse_quote!(f32));
        assert!(!allowed.finite && !allowed.any_check());
        let both = ok(vec![parse_quote!(#[remote(allow_non_finite, range = 0.0..=1.0)])], parse_quote!(f64));
        assert!(!both.finite && both.any_check());
        assert!(ok(vec![parse_quote!(#[remote(range = 0.0..=1.0)])], parse_quote!(f64)).finite);
    }

    #[test]
    fn no_attribute_no_constraint() {
        let none = ok(vec![], parse_quote!(String));
        assert!(none.items.is_empty() && none.canonical().is_none() && none.max_len().is_none());
        assert!(none.describe().is_empty());
    }

    #[test]
    fn mistakes_the_spelling_shows_are_reported_here() {
        let len_on_number = err(vec![parse_quote!(#[remote(len = ..=99)])], parse_quote!(u32));
        assert!(len_on_number[0].contains("`len` does not apply to `u32`"), "{len_on_number:?}");
        assert!(len_on_number[0].contains("`range = ..=99`"), "{len_on_number:?}");
        let suffix = err(vec![parse_quote!(#[remote(len = ..=20u32)])], parse_quote!(String));
        assert!(suffix[0].contains("without the `u32` suffix"), "{suffix:?}");
        let range_on_string = err(vec![parse_quote!(#[remote(range = 3..=20)])], parse_quote!(String));
        assert!(range_on_string[0].contains("write `len = 3..=20`"), "{range_on_string:?}");
        let range_on_vec = err(vec![parse_quote!(#[remote(range = 3..=20)])], parse_quote!(Vec<u8>));
        assert!(range_on_vec[0].contains("is a collection"), "{range_on_vec:?}");
        let float_bound = err(vec![parse_quote!(#[remote(range = 0.0..=1.0)])], parse_quote!(u8));
        assert!(float_bound[0].contains("`u8` is an integer, and `0.0` is not"), "{float_bound:?}");
        // What the spelling cannot tell is left to the type checker.
        ok(vec![parse_quote!(#[remote(range = 0.0..=1.0)])], parse_quote!(f32));
        ok(vec![parse_quote!(#[remote(len = ..=MAX)])], parse_quote!(String));
        ok(vec![parse_quote!(#[remote(len = ..=9)])], parse_quote!(my::u32));
        ok(vec![parse_quote!(#[remote(range = -1..=1)])], parse_quote!(Custom));
    }

    #[test]
    fn descriptions_read_as_written() {
        let constraints = ok(
            vec![parse_quote!(#[remote(range = 1..=99, len = ..64)]), parse_quote!(#[remote(validate = a::b)])],
            parse_quote!(Custom),
        );
        assert_eq!(constraints.describe(), ["`range = 1..=99`", "`len = ..64`", "`validate = a::b`"]);
        assert_eq!(ok(vec![], parse_quote!(f32)).describe(), ["finite (NaN and infinities are rejected)"]);
        let shapes = ok(vec![parse_quote!(#[remote(range = -5..MAX, allow_non_finite)])], parse_quote!(f32));
        assert_eq!(shapes.describe(), ["`range = -5..MAX`", "`allow_non_finite`"]);
        let open = ok(vec![parse_quote!(#[remote(len = ..=200)])], parse_quote!(String));
        assert_eq!(open.describe(), ["`len = ..=200`"]);
        let from = ok(vec![parse_quote!(#[remote(range = 1..)])], parse_quote!(u8));
        assert_eq!(from.describe(), ["`range = 1..`"]);
    }

    #[test]
    fn mistakes_are_reported() {
        let cases: Vec<(Vec<Attribute>, Type, &str)> = vec![
            (vec![parse_quote!(#[remote(max = 5)])], parse_quote!(u8), "unknown constraint `max`"),
            (vec![parse_quote!(#[remote(rnage = ..5)])], parse_quote!(u8), "did you mean `range`?"),
            (vec![parse_quote!(#[remote(length = ..5)])], parse_quote!(String), "did you mean `len`?"),
            (vec![parse_quote!(#[remote(type = ..5)])], parse_quote!(String), "unknown constraint `type`"),
            (vec![parse_quote!(#[remote(range = 1..2, range = 3..4)])], parse_quote!(u8), "`range` is given twice"),
            (
                vec![parse_quote!(#[remote(len = ..2)]), parse_quote!(#[remote(len = ..4)])],
                parse_quote!(String),
                "`len` is given twice",
            ),
            (vec![parse_quote!(#[remote(range = 5)])], parse_quote!(u8), "`5` is not one"),
            (vec![parse_quote!(#[remote(len = MAX)])], parse_quote!(String), "`MAX` is not one"),
            (vec![parse_quote!(#[remote(range = ..)])], parse_quote!(u8), "admits everything"),
            (vec![parse_quote!(#[remote(range)])], parse_quote!(u8), "`range` needs a range"),
            (vec![parse_quote!(#[remote(validate = 5)])], parse_quote!(u8), "is not a path"),
            (vec![parse_quote!(#[remote(validate)])], parse_quote!(u8), "needs the path of a function"),
            (vec![parse_quote!(#[remote(validate = |x: &u8| x > 0)])], parse_quote!(u8), "not a closure"),
            (vec![parse_quote!(#[remote(allow_non_finite)])], parse_quote!(u32), "applies only to an argument"),
            (vec![parse_quote!(#[remote(allow_non_finite)])], parse_quote!(Vec<f32>), "applies only"),
            (vec![parse_quote!(#[remote(allow_non_finite = true)])], parse_quote!(f32), "takes no value"),
            (vec![parse_quote!(#[remote()])], parse_quote!(u8), "needs at least one constraint"),
            (vec![parse_quote!(#[remote])], parse_quote!(u8), "needs at least one constraint"),
            (vec![parse_quote!(#[remote = 5])], parse_quote!(u8), "needs at least one constraint"),
            (vec![parse_quote!(#[serde(default)])], parse_quote!(u8), "unsupported attribute"),
            (vec![parse_quote!(#[remote(range = 1..2 len = ..3)])], parse_quote!(u8), "expected `,`"),
        ];
        for (attrs, ty, expected) in cases {
            let errors = err(attrs, ty);
            assert!(errors.iter().any(|e| e.contains(expected)), "expected `{expected}` in {errors:#?}");
        }
    }

    #[test]
    fn several_mistakes_in_one_attribute_are_all_reported() {
        let errors = err(vec![parse_quote!(#[remote(max = 5, range = 7, allow_non_finite)])], parse_quote!(u8));
        assert_eq!(errors.len(), 3, "{errors:#?}");
    }
}
