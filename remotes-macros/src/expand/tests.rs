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
        "pub struct Api",
        "impl :: remotes_runtime :: Api for Api",
        "type Server = server :: Remotes",
        "pub mod server",
        "pub mod client",
        "pub struct BuyItem",
        "ServerFunction < super :: __remotes_markers :: buy_item_to_server >",
        "ClientInvoker < super :: __remotes_markers :: buy_item_to_server >",
        "ServerInvoker < super :: __remotes_markers :: confirm_to_client >",
        "ServerListener < super :: __remotes_markers :: moved_to_server >",
        "ClientEmitter < super :: __remotes_markers :: chat_to_server >",
        "ServerEmitter < super :: __remotes_markers :: announce_to_client >",
        "function :: < super :: __remotes_markers :: buy_item_to_server > ()",
        "pub struct buy_item_to_server ; impl :: remotes_runtime :: __private :: Remote for buy_item_to_server { const INDEX : usize = 0usize ; type Args = (u32 , u8) ; type Output = Receipt ; const CHECK : :: core :: option :: Option < :: remotes_runtime :: __private :: Check < Self :: Args >> = :: core :: option :: Option :: None ; }",
        "arg (\"quantity\" , :: core :: option :: Option :: None)",
        "listener :: < super :: __remotes_markers :: moved_to_server > ()",
        "impl :: remotes_runtime :: __private :: Remote for moved_to_server { const INDEX : usize = 4usize ; type Args = (f32 , f32 , f32) ; type Output = () ; const CHECK : :: core :: option :: Option < :: remotes_runtime :: __private :: Check < Self :: Args >> = :: core :: option :: Option :: Some (super :: __remotes_checks :: moved_to_server) ; }",
        "check_finite (2usize , & __remotes_args . 2) ?",
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

/// The signature hash of the only remote of the output.
fn only_hash(out: &str) -> String {
    let start = out.find("Direction :: ToServer , 0x").unwrap() + "Direction :: ToServer , ".len();
    out[start..start + 22].to_string()
}

#[test]
fn argument_names_do_not_change_the_hash() {
    let with = |args: TokenStream| {
        only_hash(&expand(quote!(), quote!(mod net { pub trait ServerFunctions { fn f(#args) -> u8; } })))
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
    assert!(out.contains("type Args = (super :: A , super :: super :: B) ;"), "{out}");
    assert!(out.contains("impl super :: rt :: __private :: Remote for e_to_server"), "{out}");
    assert!(out.contains("< self :: A as self :: rt :: __private :: CrossesTheWire > :: CROSSES"), "{out}");
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

fn constrained() -> TokenStream {
    quote! {
        pub mod net {
            use super::*;
            pub trait ServerFunctions {
                fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
                fn rename(#[remote(len = 3..=20)] name: String, #[remote(validate = self::no_profanity)] bio: String);
            }
            pub trait ServerEvents {
                fn chat(#[remote(len = ..=200)] text: String);
                fn aim(#[remote(allow_non_finite)] angle: f32);
                fn path(#[remote(len = ..64, validate = super::check_path)] points: Vec<(i32, i32)>);
            }
            pub trait ClientEvents {
                fn path(#[remote(len = ..MAX)] points: Vec<(i32, i32)>);
            }
        }
    }
}

#[test]
fn constraints_become_checks_on_both_sides() {
    let out = expand(quote!(), constrained());
    assert!(errors(&out).is_empty(), "{out}");
    for expected in [
        // The interface table: each argument with its largest length.
        "arg (\"quantity\" , :: core :: option :: Option :: None)",
        "arg (\"name\" , :: core :: option :: Option :: Some (20))",
        "arg (\"text\" , :: core :: option :: Option :: Some (200))",
        "arg (\"points\" , :: core :: option :: Option :: Some (63))",
        "arg (\"points\" , :: core :: option :: Option :: Some (:: core :: primitive :: usize :: saturating_sub (MAX as :: core :: primitive :: usize , 1)))",
        // The check functions, in a private module, paths one level further in.
        "mod __remotes_checks { # [allow (unused_imports)] use super :: * ;",
        "pub (super) fn buy_item_to_server (__remotes_args : & (u32 , u8)) -> :: core :: result :: Result < () , :: remotes_runtime :: __private :: Violation > { :: remotes_runtime :: __private :: check_range (1usize , & __remotes_args . 1 , 1 ..= 99) ? ; :: core :: result :: Result :: Ok (()) }",
        "check_len (0usize , & __remotes_args . 0 , 3 ..= 20) ? ; :: remotes_runtime :: __private :: check_with (1usize , & __remotes_args . 1 , super :: no_profanity) ?",
        "check_len (0usize , & __remotes_args . 0 , .. 64) ? ; :: remotes_runtime :: __private :: check_with (0usize , & __remotes_args . 0 , super :: super :: check_path) ?",
        "fn path_to_client (__remotes_args : & (Vec < (i32 , i32) > ,))",
        // Both sides pass the same check.
        "for buy_item_to_server { const INDEX : usize = 0usize ; type Args = (u32 , u8) ; type Output = Receipt ; const CHECK : :: core :: option :: Option < :: remotes_runtime :: __private :: Check < Self :: Args >> = :: core :: option :: Option :: Some (super :: __remotes_checks :: buy_item_to_server) ; }",
        "function :: < super :: __remotes_markers :: buy_item_to_server > ()",
        "invoker :: < super :: __remotes_markers :: buy_item_to_server > ()",
        "for path_to_client { const INDEX : usize = 5usize ; type Args = (Vec < (i32 , i32) > ,) ; type Output = () ; const CHECK : :: core :: option :: Option < :: remotes_runtime :: __private :: Check < Self :: Args >> = :: core :: option :: Option :: Some (super :: __remotes_checks :: path_to_client) ; }",
        "listener :: < super :: __remotes_markers :: path_to_client > ()",
        "emitter :: < super :: __remotes_markers :: path_to_client > ()",
        // `aim` allows non-finite values: no check at all.
        "for aim_to_server { const INDEX : usize = 3usize ; type Args = (f32 ,) ; type Output = () ; const CHECK : :: core :: option :: Option < :: remotes_runtime :: __private :: Check < Self :: Args >> = :: core :: option :: Option :: None ; }",
        // The docs list the constraints.
        "- `quantity`: `range = 1..=99`",
        "- `name`: `len = 3..=20`\\n- `bio`: `validate = self::no_profanity`",
        "- `points`: `len = ..64`, `validate = super::check_path`",
        "- `angle`: `allow_non_finite`",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in {out}");
    }
    assert!(!out.contains("fn aim_to_server"), "{out}");
}

#[test]
fn middleware_and_rate_limit_on_the_receiving_side_only() {
    let out = expand(quote!(), constrained());
    let server = &out[out.find("pub mod server").unwrap()..out.find("pub mod client").unwrap()];
    let client = &out[out.find("pub mod client").unwrap()..];
    // Server: three remotes received (buy_item, rename, chat, aim, path to server), one sent (path to client).
    assert_eq!(server.matches("pub fn middleware <").count(), 5, "{server}");
    assert_eq!(server.matches("pub fn rate_limit (").count(), 5, "{server}");
    assert!(server.contains(
        ":: core :: ops :: Fn (:: remotes_runtime :: Player , (u32 , u8)) -> Fut + :: core :: marker :: Send"
    ));
    assert!(
        server.contains("Fut : :: remotes_runtime :: callback :: Verdict < (u32 , u8) > + :: core :: marker :: Send")
    );
    assert!(server.contains("self . handled . middleware (middleware)"), "{server}");
    assert!(server.contains("self . heard . rate_limit (limit)"), "{server}");
    // Client: only `path` (to client) is received; no rate limit on clients.
    assert_eq!(client.matches("pub fn middleware <").count(), 1, "{client}");
    assert!(!client.contains("rate_limit"), "{client}");
    assert!(client.contains(":: core :: ops :: Fn ((Vec < (i32 , i32) > ,)) -> Fut"), "{client}");
}

#[test]
fn constraints_change_the_hash_and_plain_arguments_hash_as_before() {
    let hash_of = |args: TokenStream| {
        only_hash(&expand(quote!(), quote!(mod net { pub trait ServerFunctions { fn f(#args) -> u8; } })))
    };
    let plain = hash_of(quote!(a: u8));
    let expected = format!(
        "0x{:016x}_u64",
        crate::hash::signature_hash(
            "function",
            "to_server",
            "f",
            &[(&syn::parse_quote!(u8), None)],
            Some(&syn::parse_quote!(u8)),
        )
    );
    assert_eq!(plain, expected);
    let ranged = hash_of(quote!(#[remote(range = 1..=9)] a: u8));
    assert_ne!(ranged, plain);
    assert_eq!(ranged, hash_of(quote!(#[remote(range=1..=9)] b: u8)));
    assert_ne!(ranged, hash_of(quote!(#[remote(range = 1..9)] a: u8)));
    let split = hash_of(quote!(#[remote(range = 1..=9)] #[remote(validate = v)] a: u8));
    assert_eq!(split, hash_of(quote!(#[remote(range = 1..=9, validate = v)] a: u8)));
    assert_ne!(split, ranged);
}

#[test]
fn constraint_mistakes_are_reported_and_the_remote_kept_without_them() {
    let out = expand(
        quote!(),
        quote! {
            mod net {
                pub trait ServerEvents {
                    fn a(#[remote(max = 5)] x: u8);
                    fn b(#[remote()] x: u8);
                    fn c(#[remote(range = 1..2, range = 3..4)] x: u8);
                    fn d(#[remote(allow_non_finite)] x: u8);
                    fn e(#[remote(len = 5)] x: String);
                    fn fine(#[remote(range = 1..)] x: u8);
                }
            }
        },
    );
    let errors = errors(&out);
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(errors[0].contains("unknown constraint `max` (did you mean `range`?)"), "{}", errors[0]);
    assert!(errors[1].contains("needs at least one constraint"), "{}", errors[1]);
    assert!(errors[2].contains("`range` is given twice"), "{}", errors[2]);
    assert!(errors[3].contains("`allow_non_finite` applies only"), "{}", errors[3]);
    assert!(errors[4].contains("takes a range written out"), "{}", errors[4]);
    // The remotes are still generated, without the constraints in error, so that code using them compiles.
    assert!(out.contains("pub struct Fine"), "{out}");
    assert!(out.contains("pub struct A "), "{out}");
    assert!(!out.contains("fn a_to_server"), "{out}");
    assert!(out.contains("fn c_to_server"), "{out}");
}

/// Tokens in a stream, counting every token inside groups (a group's delimiters count as one).
fn count_tokens(tokens: TokenStream) -> usize {
    tokens
        .into_iter()
        .map(|token| match token {
            proc_macro2::TokenTree::Group(group) => 1 + count_tokens(group.stream()),
            _ => 1,
        })
        .sum()
}

/// A module with `per_trait` remotes in each of the four traits, one to three arguments each.
fn sized_module(per_trait: usize) -> TokenStream {
    let traits = ["ServerFunctions", "ClientFunctions", "ServerEvents", "ClientEvents"].map(|name| {
        let name = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
        let function = name.to_string().ends_with("Functions");
        let methods = (0..per_trait).map(|i| {
            let ident = quote::format_ident!("{}_{i}", name.to_string().to_lowercase());
            let args = (0..=i % 3).map(|a| {
                let arg = quote::format_ident!("a{a}");
                quote!(#arg: Vec<u32>)
            });
            let output = function.then(|| quote!(-> Option<String>));
            quote!(fn #ident(#(#args),*) #output;)
        });
        quote!(pub trait #name { #(#methods)* })
    });
    quote!(pub mod net { #(#traits)* })
}

/// The generated code's size per remote: tokens and characters of the expansion, minus the input, divided by the
/// number of remotes (the fixed part is measured with one remote per trait and taken out). BENCHMARKS.md quotes
/// the figures: `cargo test -p remotes-macros generated_size -- --nocapture`.
#[test]
fn generated_size_per_remote() {
    let measure = |per_trait: usize| {
        let input = sized_module(per_trait);
        let output = remotes(quote!(), input.clone());
        assert!(!output.to_string().contains("compile_error"), "{output}");
        let tokens = count_tokens(output.clone()) - count_tokens(input.clone());
        let chars = output.to_string().len() - input.to_string().len();
        (tokens, chars)
    };
    let (small, large) = (measure(1), measure(76));
    let started = std::time::Instant::now();
    let _ = remotes(quote!(), sized_module(76));
    println!("expanding 304 remotes: {:?} (this build of the macro crate)", started.elapsed());
    let remotes = (76 - 1) * 4;
    let (tokens, chars) = ((large.0 - small.0) / remotes, (large.1 - small.1) / remotes);
    println!("per remote: {tokens} tokens, {chars} characters of generated code (fixed part: {} tokens)", small.0);
    // Both sides' handles, the interface entry, the wire checks and the docs of one remote.
    assert!(tokens < 1500, "{tokens} tokens per remote");
}
