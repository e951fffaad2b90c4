//! The signature hash both sides compare at connect time.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::Type;

/// One argument as the hash sees it: its type, and its constraints (`#[remote(range = 1..=99)]`) if it has any.
pub type HashedArg<'a> = (&'a Type, Option<TokenStream>);

/// The canonical text of a signature, `function:to_server:buy_item(u32,u8#[remote(range=1..=99)])->Receipt`:
/// kind, direction, name, argument types each followed by its constraints, and return type (`()` when there is
/// none), all as written with whitespace removed. Argument names are not part of it; an argument without
/// constraints is its type alone.
pub fn canonical(kind: &str, direction: &str, name: &str, args: &[HashedArg<'_>], output: Option<&Type>) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|(ty, constraints)| compact(ty) + &constraints.as_ref().map(compact).unwrap_or_default())
        .collect();
    let output = output.map_or_else(|| "()".to_owned(), compact);
    format!("{kind}:{direction}:{name}({})->{output}", args.join(","))
}

/// FNV-1a (64 bits) of the canonical signature.
pub fn signature_hash(kind: &str, direction: &str, name: &str, args: &[HashedArg<'_>], output: Option<&Type>) -> u64 {
    fnv1a64(canonical(kind, direction, name, args, output).as_bytes())
}

fn compact(tokens: impl ToTokens) -> String {
    tokens.to_token_stream().to_string().chars().filter(|c| !c.is_whitespace()).collect()
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn hash(kind: &str, direction: &str, name: &str, args: &[Type], output: Option<Type>) -> u64 {
        let args: Vec<HashedArg<'_>> = args.iter().map(|ty| (ty, None)).collect();
        signature_hash(kind, direction, name, &args, output.as_ref())
    }

    fn constrained(args: &[(Type, Option<TokenStream>)]) -> u64 {
        let args: Vec<HashedArg<'_>> = args.iter().map(|(ty, c)| (ty, c.clone())).collect();
        signature_hash("function", "to_server", "buy_item", &args, Some(&parse_quote!(Receipt)))
    }

    fn buy_item() -> u64 {
        hash("function", "to_server", "buy_item", &[parse_quote!(u32), parse_quote!(u8)], Some(parse_quote!(Receipt)))
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn canonical_text_is_compact() {
        let args: [Type; 2] = [parse_quote!(Vec<u8>), parse_quote!(::std::collections::HashMap<String, u32>)];
        let args: Vec<HashedArg<'_>> = args.iter().map(|ty| (ty, None)).collect();
        assert_eq!(
            canonical("event", "to_client", "moved", &args, None),
            "event:to_client:moved(Vec<u8>,::std::collections::HashMap<String,u32>)->()"
        );
    }

    #[test]
    fn constraints_follow_their_type() {
        let (a, b): (Type, Type) = (parse_quote!(u32), parse_quote!(u8));
        let args = [(&a, None), (&b, Some(quote::quote!(#[remote(range = 1 ..= 99)])))];
        assert_eq!(
            canonical("function", "to_server", "buy_item", &args, Some(&parse_quote!(Receipt))),
            "function:to_server:buy_item(u32,u8#[remote(range=1..=99)])->Receipt"
        );
    }

    #[test]
    fn constraints_change_the_hash_and_their_absence_does_not() {
        let (a, b): (Type, Type) = (parse_quote!(u32), parse_quote!(u8));
        assert_eq!(constrained(&[(a.clone(), None), (b.clone(), None)]), buy_item());
        let with = |c: TokenStream| constrained(&[(a.clone(), None), (b.clone(), Some(c))]);
        let base = with(quote::quote!(#[remote(range = 1..=99)]));
        assert_ne!(base, buy_item());
        assert_eq!(base, with(syn::parse_str("#[remote(range=1 ..= 99)]").unwrap()));
        for other in [
            quote::quote!(#[remote(range = 1..=98)]),
            quote::quote!(#[remote(range = 1..99)]),
            quote::quote!(#[remote(range = 1..=99, validate = check)]),
            quote::quote!(#[remote(len = 1..=99)]),
        ] {
            assert_ne!(with(other), base);
        }
        // The same constraint on another argument is another signature.
        let moved = constrained(&[(a.clone(), Some(quote::quote!(#[remote(range = 1..=99)]))), (b.clone(), None)]);
        assert_ne!(moved, base);
    }

    #[test]
    fn the_same_signature_always_hashes_the_same() {
        assert_eq!(buy_item(), buy_item());
        let spaced = hash(
            "function",
            "to_server",
            "buy_item",
            &[syn::parse_str("u32").unwrap(), syn::parse_str("u8").unwrap()],
            Some(syn::parse_str("Receipt").unwrap()),
        );
        assert_eq!(buy_item(), spaced);
    }

    #[test]
    fn whitespace_in_types_does_not_matter() {
        let a = hash("event", "to_server", "e", &[syn::parse_str("Vec<Option<u8>>").unwrap()], None);
        let b = hash("event", "to_server", "e", &[syn::parse_str("Vec < Option < u8 > >").unwrap()], None);
        assert_eq!(a, b);
    }

    #[test]
    fn every_part_of_the_signature_matters() {
        let base = buy_item();
        let r: Type = parse_quote!(Receipt);
        let (a, b): (Type, Type) = (parse_quote!(u32), parse_quote!(u8));
        let variants = [
            hash("event", "to_server", "buy_item", &[a.clone(), b.clone()], Some(r.clone())),
            hash("function", "to_client", "buy_item", &[a.clone(), b.clone()], Some(r.clone())),
            hash("function", "to_server", "buy_items", &[a.clone(), b.clone()], Some(r.clone())),
            hash("function", "to_server", "buy_item", &[a.clone(), parse_quote!(u16)], Some(r.clone())),
            hash("function", "to_server", "buy_item", &[b.clone(), a.clone()], Some(r.clone())),
            hash("function", "to_server", "buy_item", std::slice::from_ref(&a), Some(r.clone())),
            hash("function", "to_server", "buy_item", &[a.clone(), b.clone()], Some(parse_quote!(Other))),
            hash("function", "to_server", "buy_item", &[a, b], None),
        ];
        for (i, variant) in variants.iter().enumerate() {
            assert_ne!(*variant, base, "variant {i} collides");
        }
    }

    #[test]
    fn a_missing_return_type_is_unit() {
        let none = hash("function", "to_server", "slow", &[parse_quote!(u64)], None);
        let unit = hash("function", "to_server", "slow", &[parse_quote!(u64)], Some(parse_quote!(())));
        assert_eq!(none, unit);
    }
}
