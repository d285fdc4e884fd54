//! The `#[plugin]` attribute of `ristretto-plugin-sdk` (re-exported there; depend on the SDK,
//! not on this crate). It reads the hooks an `impl Plugin for T` block defines and derives the
//! plugin's capabilities from them, so a hook that is written is a hook that ristretto calls.
//! Written against `proc_macro` alone: the input is one impl block, and plugins build faster
//! without a parser crate.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Registers the type of an `impl Plugin for T { … }` block as the component's plugin. The
/// capabilities are the hooks the block defines (`transform`, `functions`/`call`, `gate`,
/// `notify`); the name and version come from the Cargo package. Takes an optional
/// `description = "…"`.
#[proc_macro_attribute]
pub fn plugin(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr, item.clone()) {
        Ok(generated) => {
            let mut out = item;
            out.extend(generated);
            out
        }
        Err((span, message)) => {
            let mut out = item;
            out.extend(compile_error(span, &message));
            out
        }
    }
}

type Failure = (Span, String);

fn expand(attr: TokenStream, item: TokenStream) -> Result<TokenStream, Failure> {
    let description = description(attr)?;
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    let Some(for_at) = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "for"))
    else {
        return Err((
            Span::call_site(),
            "#[plugin] goes on an `impl Plugin for YourType { … }` block".to_owned(),
        ));
    };
    let trait_is_plugin = tokens[..for_at]
        .iter()
        .rev()
        .find_map(|t| match t {
            TokenTree::Ident(i) => Some(i.to_string() == "Plugin"),
            _ => None,
        })
        .unwrap_or(false);
    let Some(TokenTree::Group(body)) = tokens.last() else {
        return Err((Span::call_site(), "expected an impl block body".to_owned()));
    };
    if !trait_is_plugin || body.delimiter() != Delimiter::Brace {
        return Err((
            tokens[for_at].span(),
            "#[plugin] goes on an `impl Plugin for YourType { … }` block".to_owned(),
        ));
    }
    let ty: TokenStream = tokens[for_at + 1..tokens.len() - 1]
        .iter()
        .cloned()
        .collect();
    let capabilities = capabilities(body);
    Ok(registration(ty, description, &capabilities))
}

/// The `description = "…"` argument, or an empty string literal.
fn description(attr: TokenStream) -> Result<TokenTree, Failure> {
    let tokens: Vec<TokenTree> = attr.into_iter().collect();
    match tokens.as_slice() {
        [] => Ok(TokenTree::Literal(Literal::string(""))),
        [
            TokenTree::Ident(key),
            TokenTree::Punct(eq),
            value @ TokenTree::Literal(_),
        ] if key.to_string() == "description" && eq.as_char() == '=' => Ok(value.clone()),
        [first, ..] => Err((
            first.span(),
            "#[plugin] takes only `description = \"…\"`".to_owned(),
        )),
    }
}

/// The capabilities the hooks defined in `body` give, in WIT order.
fn capabilities(body: &Group) -> Vec<&'static str> {
    let mut defined = Vec::new();
    let mut previous_was_fn = false;
    for token in body.stream() {
        if let TokenTree::Ident(ident) = &token {
            let name = ident.to_string();
            if previous_was_fn {
                defined.push(name.clone());
            }
            previous_was_fn = name == "fn";
        } else {
            previous_was_fn = false;
        }
    }
    let has = |names: &[&str]| defined.iter().any(|d| names.contains(&d.as_str()));
    [
        ("transform", &["transform"][..]),
        ("functions", &["functions", "call"][..]),
        ("gate", &["gate"][..]),
        ("notify", &["notify"][..]),
    ]
    .into_iter()
    .filter(|(_, hooks)| has(hooks))
    .map(|(capability, _)| capability)
    .collect()
}

/// `impl Registered for T` and the component's exports.
fn registration(ty: TokenStream, description: TokenTree, capabilities: &[&str]) -> TokenStream {
    let list = capabilities
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let code = format!(
        "impl ::ristretto_plugin_sdk::Registered for __RISTRETTO_TYPE__ {{
            const NAME: &'static str = ::core::env!(\"CARGO_PKG_NAME\");
            const VERSION: &'static str = ::core::env!(\"CARGO_PKG_VERSION\");
            const DESCRIPTION: &'static str = __RISTRETTO_DESCRIPTION__;
            const CAPABILITIES: &'static [&'static str] = &[{list}];
        }}
        #[doc(hidden)]
        type __RistrettoPluginAdapter = ::ristretto_plugin_sdk::Adapter<__RISTRETTO_TYPE__>;
        ::ristretto_plugin_sdk::wit::export_plugin!(
            __RistrettoPluginAdapter with_types_in ::ristretto_plugin_sdk::wit
        );"
    );
    let template: TokenStream = code
        .parse()
        .unwrap_or_else(|_| compile_error(Span::call_site(), "internal: bad template"));
    substitute(template, &ty, &description)
}

/// Replaces the placeholder identifiers of `template`, recursing into groups.
fn substitute(template: TokenStream, ty: &TokenStream, description: &TokenTree) -> TokenStream {
    template
        .into_iter()
        .flat_map(|token| -> Vec<TokenTree> {
            match token {
                TokenTree::Ident(i) if i.to_string() == "__RISTRETTO_TYPE__" => {
                    ty.clone().into_iter().collect()
                }
                TokenTree::Ident(i) if i.to_string() == "__RISTRETTO_DESCRIPTION__" => {
                    vec![description.clone()]
                }
                TokenTree::Group(g) => {
                    let mut group =
                        Group::new(g.delimiter(), substitute(g.stream(), ty, description));
                    group.set_span(g.span());
                    vec![TokenTree::Group(group)]
                }
                other => vec![other],
            }
        })
        .collect()
}

/// `::core::compile_error!("message")` at `span`.
fn compile_error(span: Span, message: &str) -> TokenStream {
    let mut tokens: Vec<TokenTree> = vec![
        TokenTree::Punct(Punct::new(':', Spacing::Joint)),
        TokenTree::Punct(Punct::new(':', Spacing::Alone)),
        TokenTree::Ident(Ident::new("core", span)),
        TokenTree::Punct(Punct::new(':', Spacing::Joint)),
        TokenTree::Punct(Punct::new(':', Spacing::Alone)),
        TokenTree::Ident(Ident::new("compile_error", span)),
        TokenTree::Punct(Punct::new('!', Spacing::Alone)),
    ];
    let mut literal = Literal::string(message);
    literal.set_span(span);
    let mut args = Group::new(
        Delimiter::Parenthesis,
        TokenStream::from(TokenTree::Literal(literal)),
    );
    args.set_span(span);
    tokens.push(TokenTree::Group(args));
    tokens.push(TokenTree::Punct(Punct::new(';', Spacing::Alone)));
    tokens.into_iter().collect()
}
