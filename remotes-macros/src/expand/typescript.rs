//! `typescript()`: the TypeScript bindings of the interface (`clients/typescript/docs/bindings.md`), generated at
//! the top level like `interface()`.
//!
//! Every level (the module and each namespace) gets a private module whose `collect` describes the level's own
//! remotes to the runtime, where their types resolve as written (`use super::*`), then calls its namespaces'.
//! Each description is the remote's local index, one tracer per argument (monomorphised for its type) with the
//! argument's checks, the output's tracer and the remote's doc lines; names, kinds, directions and hashes come from
//! the interface table at run time.
//!
//! Nothing here adds a bound the rest of the expansion does not already assert: a type that does not deserialize
//! gets a tracer that fails (chosen by autoref specialisation), and a `range` bound that is not a number is left to
//! the server.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::{Expr, RangeLimits};

use super::{Context, types};
use crate::constraint::{Constraints, Kind};

/// The private module's name.
pub const MODULE: &str = "__remotes_typescript";

/// The level's private module with its `collect`.
pub fn generate(cx: &Context<'_>) -> TokenStream {
    let rti = &cx.rt_inner;
    let out = Ident::new("__remotes_out", Span::mixed_site());
    let remotes = cx.own().map(|(index, remote)| {
        let args = remote.args.iter().zip(&remote.constraints).map(|((_, ty), constraints)| {
            let ty = types::relocate(ty);
            let check = check(rti, &ty, constraints);
            quote!(#rti::__private::ts::arg((&#rti::__private::ts::TraceProbe::<#ty>::new()).tracer(), #check))
        });
        let output = match remote.output {
            Some(ty) => {
                let ty = types::relocate(ty);
                quote!(#ty)
            }
            None => quote!(()),
        };
        let docs = remote.docs.iter().filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(doc) => Some(&doc.value),
            _ => None,
        });
        quote! {
            #out.remote(
                #index,
                [#(#args),*],
                (&#rti::__private::ts::TraceProbe::<#output>::new()).tracer(),
                &[#(#docs),*],
            );
        }
    });
    let module = Ident::new(MODULE, Span::call_site());
    let children = cx.level.children.iter().filter(|child| child.linked).map(|child| {
        let ident = child.module_ident();
        quote!(super::#ident::#module::collect(#out);)
    });
    let (module_vis, fn_vis) = if cx.level.is_root() {
        (quote!(), quote!(pub(super)))
    } else {
        (quote!(pub(super)), quote!(pub(in super::super)))
    };
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case, clippy::all)]
        #module_vis mod #module {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use #rti::__private::ts::{NotTraceable as _, NumericBound as _, OtherBound as _, Traceable as _};

            /// Describes the remotes of this level and of its namespaces.
            #fn_vis fn collect(#out: &mut #rti::__private::ts::Collector) {
                #(#remotes)*
                #(#children)*
            }
        }
    }
}

/// The root's `typescript()`.
pub fn function(cx: &Context<'_>) -> TokenStream {
    if !cx.generates("typescript") {
        return TokenStream::new();
    }
    let rt = &cx.rt;
    let module = &cx.module;
    let private = Ident::new(MODULE, Span::call_site());
    let link = rt.to_string().replace(' ', "");
    let link = link.trim_start_matches("::");
    let summary = format!(
        "The TypeScript bindings of the interface `{module}`: the text of one `.ts` file for the TypeScript package \
         `remotes-client`, with a type per struct and enum of the interface, the remotes type (what a client sees, \
         with each remote's docs) and the constant `{module}`, the interface's description."
    );
    let details = format!(
        "The format is [`{link}::typescript`] (specified in `clients/typescript/docs/bindings.md` of the remotes \
         repository). The text is deterministic: write it from a test and commit it with the client, so that a change \
         to the interface shows in review:"
    );
    let example = format!(
        "```ignore\n#[test]\nfn typescript_bindings() {{\n    std::fs::write(\"client/src/{module}.ts\", \
         {module}::typescript().unwrap()).unwrap();\n}}\n```"
    );
    let errors = "Fails with a `TypeScriptError` naming the Rust type and where the interface uses it, for a type \
                  whose shape is not fixed (untagged or internally tagged enums, `#[serde(flatten)]`), two types \
                  with one serde name, or `Option<Option<T>>`.";
    quote! {
        #[doc = #summary]
        #[doc = ""]
        #[doc = #details]
        #[doc = ""]
        #[doc = #example]
        #[doc = ""]
        #[doc = #errors]
        #[allow(dead_code)]
        pub fn typescript() -> ::core::result::Result<#rt::__private::String, #rt::typescript::TypeScriptError> {
            #rt::__private::ts::generate(&__REMOTES_INTERFACE, self::#private::collect)
        }
    }
}

/// The argument's checks as the runtime's builder states them: `range` (bounds evaluated as values of the
/// argument's type), `len`, finiteness. `validate` has no TypeScript form.
fn check(rti: &TokenStream, ty: &syn::Type, constraints: &Constraints) -> TokenStream {
    let mut check = quote!(#rti::__private::ts::Check::new());
    for item in &constraints.items {
        match &item.kind {
            Kind::Range(range) => {
                let bound = |bound: &Option<Box<Expr>>| match bound {
                    None => quote!(#rti::__private::ts::Probed::Absent),
                    Some(bound) => {
                        let bound = types::relocate_expr(&**bound);
                        let name = Ident::new("__remotes_bound", Span::mixed_site());
                        quote!({
                            let #name: #ty = #bound;
                            (&#rti::__private::ts::Probe(&#name)).ts_bound()
                        })
                    }
                };
                let (min, max) = (bound(&range.start), bound(&range.end));
                let exclusive = matches!(range.limits, RangeLimits::HalfOpen(_));
                check = quote!(#check.range(#min, #max, #exclusive));
            }
            Kind::Len(range) => {
                let bound = |bound: &Option<Box<Expr>>| match bound {
                    None => quote!(::core::option::Option::None),
                    // Cast, as the interface table casts its `max_len`: a bound of another type than `usize` is
                    // reported once, by the check itself.
                    Some(bound) => {
                        let bound = types::relocate_expr(&**bound);
                        quote!(::core::option::Option::Some((#bound) as ::core::primitive::usize))
                    }
                };
                let (min, max) = (bound(&range.start), bound(&range.end));
                let exclusive = matches!(range.limits, RangeLimits::HalfOpen(_));
                check = quote!(#check.len(#min, #max, #exclusive));
            }
            Kind::Validate(_) | Kind::AllowNonFinite => {}
        }
    }
    if constraints.finite {
        check = quote!(#check.finite());
    }
    check
}
