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
