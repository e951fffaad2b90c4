//! Types as the generated `server` and `client` modules must write them.

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote};
use syn::visit_mut::{self, VisitMut};
use syn::{Path, PathSegment, Type};

/// `ty` as seen one module further in: `self::X` becomes `super::X`, `super::X` becomes `super::super::X`.
pub fn relocate(ty: &Type) -> Type {
    let mut ty = ty.clone();
    Relocate.visit_type_mut(&mut ty);
    ty
}

/// A path as seen one module further in (see [`relocate`]).
pub fn relocate_path(path: &Path) -> Path {
    let mut path = path.clone();
    Relocate.visit_path_mut(&mut path);
    path
}

/// An expression as seen one module further in (see [`relocate`]): the paths it mentions gain a level.
pub fn relocate_expr<T: Clone + Into<syn::Expr>>(expr: &T) -> syn::Expr {
    let mut expr: syn::Expr = expr.clone().into();
    Relocate.visit_expr_mut(&mut expr);
    expr
}

struct Relocate;

impl VisitMut for Relocate {
    fn visit_path_mut(&mut self, path: &mut Path) {
        if path.leading_colon.is_none() {
            if let Some(first) = path.segments.first_mut() {
                let span = first.ident.span();
                if first.ident == "self" {
                    first.ident = Ident::new("super", span);
                } else if first.ident == "super" {
                    path.segments.insert(0, PathSegment::from(Ident::new("super", span)));
                }
            }
        }
        visit_mut::visit_path_mut(self, path);
    }
}

/// A tuple of the given types or expressions: `()`, `(a,)`, `(a, b)`.
pub fn tuple<T: ToTokens>(elements: &[T]) -> TokenStream {
    match elements {
        [single] => quote!((#single,)),
        many => quote!((#(#many),*)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn relocated(ty: Type) -> String {
        relocate(&ty).to_token_stream().to_string()
    }

    #[test]
    fn relative_paths_gain_a_level() {
        assert_eq!(relocated(parse_quote!(self::A)), quote!(super::A).to_string());
        assert_eq!(relocated(parse_quote!(super::A)), quote!(super::super::A).to_string());
        assert_eq!(
            relocated(parse_quote!(Vec<(self::A, super::B)>)),
            quote!(Vec<(super::A, super::super::B)>).to_string()
        );
        assert_eq!(relocated(parse_quote!([self::A; 3])), quote!([super::A; 3]).to_string());
    }

    #[test]
    fn paths_in_expressions_gain_a_level() {
        let range: syn::Expr = parse_quote!(self::MIN..=super::MAX + 1);
        assert_eq!(
            relocate_expr(&range).to_token_stream().to_string(),
            quote!(super::MIN..=super::super::MAX + 1).to_string()
        );
        let path: syn::Expr = parse_quote!(crate::checks::name);
        assert_eq!(relocate_expr(&path).to_token_stream().to_string(), path.to_token_stream().to_string());
    }

    #[test]
    fn other_paths_stay() {
        for ty in [quote!(u32), quote!(crate::A), quote!(::std::string::String), quote!(Option<crate::A>)] {
            let parsed: Type = syn::parse2(ty.clone()).unwrap();
            assert_eq!(relocated(parsed), ty.to_string());
        }
    }

    #[test]
    fn tuples() {
        let none: [Type; 0] = [];
        assert_eq!(tuple(&none).to_string(), quote!(()).to_string());
        assert_eq!(tuple(&[quote!(u8)]).to_string(), quote!((u8,)).to_string());
        assert_eq!(tuple(&[quote!(u8), quote!(u16)]).to_string(), quote!((u8, u16)).to_string());
    }
}
