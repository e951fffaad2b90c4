//! Expansion tests on `parse_quote!` input: the errors reported and the shape of the generated tokens.

use proc_macro2::TokenStream;
use quote::quote;

use super::remotes;

fn expand(args: TokenStream, input: TokenStream) -> String {
    remotes(args, input).to_string()
}

fn example() -> TokenStream {
    quote! {
        pub mod net {
            use super::*;
            /// Handled by the server, invoked by clients.
            pub trait ServerFunctions {
                /// Buys an item.
                fn buy_item(item: u32, quantity: u8) -> Receipt;
                fn slow(millis: u64);
            }
            pub trait ClientFunctions {
                fn confirm(prompt: String) -> bool;
            }
            pub trait ServerEvents {
                fn chat(text: String);
                fn moved(x: f32, y: f32, z: f32);
            }
            pub trait ClientEvents {
                fn announce(text: String);
            }
            pub const MAX: u32 = 5;
        }
    }
}

#[test]
#[ignore = "prints the expansion of the example, for reading: cargo test -p remotes-macros -- --ignored --nocapture"]
fn show_expansion() {
    let out = expand(quote!(), example());
    std::fs::write(std::env::temp_dir().join("remotes-expansion.rs"), out).unwrap();
}

/// The messages of every `compile_error!` in the output, in order.
fn errors(out: &str) -> Vec<String> {
    out.split(":: core :: compile_error ! {")
        .skip(1)
        .map(|rest| rest.split('}').next().unwrap_or_default().trim().trim_matches(['(', ')', '"']).to_string())
        .collect()
}

#[test]
fn the_example_expands_without_errors() {
    let out = expand(quote!(), example());
    assert!(errors(&out).is_empty(), "{out}");
    for expected in [
        "pub fn interface ()",
        "pub fn server",
        "pub fn client",
        "pub mod server",
        "pub mod client",
        "pub struct BuyItem",
        "ServerFunction < (u32 , u8) , Receipt >",
        "ClientInvoker < (u32 , u8) , Receipt >",
        "ServerInvoker < (String ,) , bool >",
        "ServerListener < (f32 , f32 , f32) >",
        "ClientEmitter < (String ,) >",
        "ServerEmitter < (String ,) >",
        "function :: < (u32 , u8) , Receipt > (0usize)",
        "pub const MAX : u32 = 5",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in {out}");
    }
    assert!(!out.contains("trait ServerFunctions"), "the traits are removed");
}

#[test]
fn every_mistake_is_reported_and_valid_remotes_are_still_generated() {
    let out = expand(
        quote!(),
        quote! {
            mod net {
                pub trait ServerFunctions {
                    fn ping(&self) -> u32;
                    fn fine(value: u32) -> u32;
                    async fn pong();
                }
                pub trait ServerEvent {}
                pub trait ServerEvents {
                    fn chat(text: &str);
                    fn moved(x: f32) -> bool;
                }
            }
        },
    );
    let errors = errors(&out);
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(errors[0].contains("takes no `&self`"), "{}", errors[0]);
    assert!(errors[1].contains("`async`"), "{}", errors[1]);
    assert!(errors[2].contains("did you mean `ServerEvents`?"), "{}", errors[2]);
    assert!(errors[3].contains("such as `String`"), "{}", errors[3]);
    assert!(errors[4].contains("an event has no return value"), "{}", errors[4]);
    assert!(out.contains("pub struct Fine"), "{out}");
    assert!(!out.contains("pub struct Ping"), "{out}");
    assert!(!out.contains("pub struct Chat"), "{out}");
}

#[test]
fn names_must_be_unique_and_map_to_distinct_structs() {
    let out = expand(
        quote!(),
        quote! {
            mod net {
                pub trait ServerFunctions {
                    fn buy_item();
                    fn buyItem();
                    fn events();
                    fn chat();
                }
                pub trait ServerEvents {
                    fn chat();
                }
            }
        },
    );
    let errors = errors(&out);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors.iter().any(|e| e.contains("would both generate a struct named `BuyItem`")), "{errors:#?}");
    assert!(errors.iter().any(|e| e.contains("clashes with the `Events` struct")), "{errors:#?}");
    assert!(errors.iter().any(|e| e.contains("both as a function")), "{errors:#?}");
}

#[test]
fn argument_names_do_not_change_the_interface() {
    let with = |args: TokenStream| {
        let out = expand(quote!(), quote!(mod net { pub trait ServerFunctions { fn f(#args) -> u8; } }));
        let start = out.find("__REMOTES_INTERFACE :").unwrap();
        out[start..start + 400].to_string()
    };
    assert_eq!(with(quote!(a: u8, b: String)), with(quote!(x: u8, y: String)));
    assert_ne!(with(quote!(a: u8, b: String)), with(quote!(a: u16, b: String)));
}

#[test]
fn the_crate_path_replaces_the_runtime_everywhere() {
    let out = expand(quote!(crate = crate::rt), example());
    assert!(!out.contains("remotes_runtime"), "{out}");
    assert!(out.contains("crate :: rt :: __private :: ServerEndpoint"), "{out}");
}

#[test]
fn relative_crate_paths_and_types_gain_a_level_inside_the_generated_modules() {
    let out = expand(
        quote!(crate = self::rt),
        quote!(
            mod net {
                pub trait ServerEvents {
                    fn e(a: self::A, b: super::B);
                }
            }
        ),
    );
    assert!(out.contains("super :: rt :: __private :: ServerListener < (super :: A , super :: super :: B) >"), "{out}");
    assert!(out.contains("assert_wire :: < self :: A >"), "{out}");
}

#[test]
fn misplaced_attribute_keeps_the_item() {
    let out = expand(
        quote!(),
        quote!(
            struct Net;
        ),
    );
    assert_eq!(errors(&out).len(), 1);
    assert!(out.starts_with("struct Net ;"), "{out}");
    let out = expand(
        quote!(),
        quote!(
            mod net;
        ),
    );
    assert!(errors(&out)[0].contains("inline"), "{out}");
}
