//! The macro's own arguments: `#[remotes]` or `#[remotes(crate = path::to::remotes_runtime)]`.

use syn::parse::{Parse, ParseStream};
use syn::{Path, Token};

/// What `#[remotes(...)]` says.
#[derive(Default)]
pub struct Args {
    /// `crate = path`: where the runtime is, for crates that re-export it. `None` means `::remotes_runtime`.
    pub krate: Option<Path>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                let path = Path::parse_mod_style(input)?;
                if args.krate.is_some() {
                    return Err(syn::Error::new_spanned(key, "`crate` is given twice; give it once"));
                }
                args.krate = Some(path);
            } else {
                let unknown: proc_macro2::TokenTree = input.parse()?;
                return Err(syn::Error::new_spanned(
                    unknown,
                    "unknown `#[remotes]` argument; the only argument is `crate = path::to::remotes_runtime`",
                ));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn empty_and_crate_path() {
        assert!(syn::parse2::<Args>(quote!()).unwrap().krate.is_none());
        let krate = syn::parse2::<Args>(quote!(crate = crate::rt)).unwrap().krate.unwrap();
        assert_eq!(quote!(#krate).to_string(), quote!(crate::rt).to_string());
        assert!(syn::parse2::<Args>(quote!(crate = ::remotes_runtime,)).is_ok());
    }

    #[test]
    fn anything_else_is_refused() {
        let err = syn::parse2::<Args>(quote!(krate = x)).err().unwrap();
        assert!(err.to_string().contains("only argument is `crate"), "{err}");
        assert!(syn::parse2::<Args>(quote!(crate = a, crate = b)).is_err());
        assert!(syn::parse2::<Args>(quote!(crate)).is_err());
    }
}
