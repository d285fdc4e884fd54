//! Error tests: every failure names the exact line and column of its cause.

use serde_json::json;

use super::tests::{Funcs, fail};
use super::{Template, TemplateError, render};

/// Asserts the error of `src` is at `line:column` and its message is `message`.
#[track_caller]
fn at(src: &str, line: usize, column: usize, message: &str) {
    let e = fail(src);
    assert_eq!(
        (e.line, e.column, e.message.as_str()),
        (line, column, message),
        "{src:?}"
    );
}

#[test]
fn display_names_file_line_and_column() {
    let src = "{\n  \"family\": \"web\",\n  \"image\": \"xy{{ must_env \"IMAGE\" \",\n  \"cpu\": 256\n}\n";
    let e = render("ecs-task-def.json", src, &json!({}), &Funcs).expect_err("should fail");
    assert_eq!(
        e.to_string(),
        "ecs-task-def.json:3:15: unclosed action: missing \"}}\""
    );
    assert_eq!(
        e,
        TemplateError {
            file: "ecs-task-def.json".into(),
            line: 3,
            column: 15,
            message: "unclosed action: missing \"}}\"".into()
        }
    );
}

#[test]
fn unclosed_actions() {
    at("ab\n  {{ .name ", 2, 3, "unclosed action: missing \"}}\"");
    at(
        "{{ .name \n{{ .port }}",
        1,
        1,
        "unclosed action: missing \"}}\"",
    );
    at("x {{", 1, 3, "unclosed action: missing \"}}\"");
    at(
        "{{ if .a }}\n\"k\": {{ .b , \"z\": {{ end }}",
        2,
        6,
        "unclosed action: missing \"}}\"",
    );
}

#[test]
fn unknown_function() {
    at(
        "{\n  \"a\": \"{{ must_envv \"X\" }}\"\n}",
        2,
        12,
        "function \"must_envv\" not defined",
    );
    at("{{ .a | nope }}", 1, 9, "function \"nope\" not defined");
}

#[test]
fn function_errors_at_execution() {
    at(
        "line\n\n\n  {{ must_env \"NOPE\" }}",
        4,
        6,
        "error calling must_env: environment variable NOPE is not defined",
    );
    at(
        "{{ \"x\" | must_env | json_escape }}",
        1,
        10,
        "error calling must_env: environment variable x is not defined",
    );
}

#[test]
fn block_structure() {
    at(
        "a\n{{ end }}",
        2,
        4,
        "unexpected {{ end }}: no {{ if }}, {{ range }} or {{ with }} is open",
    );
    at(
        "{{ else }}",
        1,
        4,
        "unexpected {{ else }}: no {{ if }}, {{ range }} or {{ with }} is open",
    );
    at(
        "x\n  {{ if .a }}\n{{ range .b }}{{ end }}",
        2,
        6,
        "unexpected EOF: {{ if }} opened here has no {{ end }}",
    );
    at(
        "{{ if .a }}1{{ else if .b }}2{{ else }}3",
        1,
        4,
        "unexpected EOF: {{ if }} opened here has no {{ end }}",
    );
    at(
        "{{ range .a }}",
        1,
        4,
        "unexpected EOF: {{ range }} opened here has no {{ end }}",
    );
    at(
        "{{ with .a }}{{ else }}",
        1,
        4,
        "unexpected EOF: {{ with }} opened here has no {{ end }}",
    );
    at(
        "{{ if 1 }}{{ else }}{{ else }}{{ end }}",
        1,
        24,
        "unexpected {{ else }}: this {{ if }} already has an {{ else }}",
    );
    at(
        "{{ range .tags }}{{ else if 1 }}{{ end }}",
        1,
        26,
        "{{ else if }} is not allowed in {{ range }}",
    );
    at("{{ end x }}", 1, 8, "unexpected \"x\" in {{ end }}");
    at("{{ if }}{{ end }}", 1, 4, "missing value for if");
    at("{{ }}", 1, 1, "missing value for command");
    at("{{ break }}", 1, 4, "{{ break }} outside {{ range }}");
    at(
        "{{ range 2 }}{{ else }}{{ continue }}{{ end }}",
        1,
        27,
        "{{ continue }} outside {{ range }}",
    );
}

#[test]
fn unsupported_features() {
    at("{{ call .f 1 }}", 1, 4, "`call` is not supported");
}

#[test]
fn named_template_errors() {
    at("a {{ template \"x\" }}", 1, 6, "no such template \"x\"");
    at(
        "{{ define x }}{{ end }}",
        1,
        11,
        "unexpected \"x\" in {{ define }} (expected a quoted name)",
    );
    at(
        "{{ block \"x\" }}{{ end }}",
        1,
        4,
        "{{ block }} needs a pipeline after its name",
    );
    at(
        "{{ if 1 }}{{ define \"x\" }}{{ end }}{{ end }}",
        1,
        14,
        "{{ define }} is allowed only at the top level, outside other actions",
    );
    at(
        "{{ define \"x\" }}{{ template \"x\" }}{{ end }}{{ template \"x\" }}",
        1,
        20,
        "template \"x\" nested more than 100 levels deep",
    );
    at(
        "{{ define \"x\" }}abc",
        1,
        4,
        "unexpected EOF: {{ define }} opened here has no {{ end }}",
    );
}

#[test]
fn literal_errors() {
    at("{{ \"abc }}", 1, 4, "unterminated quoted string");
    at("{{ `abc }}", 1, 4, "unterminated raw quoted string");
    at("{{ 'ab' }}", 1, 4, "malformed character constant: 'ab'");
    at("{{ 'a }}", 1, 4, "unterminated character constant");
    at(
        "{{ \"a\\qb\" }}",
        1,
        6,
        "unknown escape sequence \\q in string",
    );
    at("{{ 12abc }}", 1, 4, "bad number syntax: \"12abc\"");
    at("{{ 0x }}", 1, 4, "bad number syntax: \"0x\"");
    at(
        "{{ 99999999999999999999 }}",
        1,
        4,
        "99999999999999999999 overflows int",
    );
}

#[test]
fn syntax_errors() {
    at(
        "{{ .a ) }}",
        1,
        7,
        "unexpected \")\" without matching \"(\"",
    );
    at("{{ (.a }}", 1, 4, "unclosed left paren: missing \")\"");
    at(
        "{{ printf \"%s\"\"x\" }}",
        1,
        15,
        "unexpected \"\\\"x\\\"\" in operand; missing space?",
    );
    at("{{ .a | }}", 1, 7, "missing command after \"|\"");
    at("{{ .a := 1 }}", 1, 7, "unexpected \":=\" in operand");
    at("{{ $x }}", 1, 4, "undefined variable \"$x\"");
    at("{{ $x = 1 }}", 1, 4, "undefined variable \"$x\"");
    at("{{ \"a\".foo }}", 1, 7, "unexpected . after term \"a\"");
    at("{{ 1.foo }}", 1, 4, "bad number syntax: \"1.foo\"");
    at(
        "{{ .name 1 }}",
        1,
        4,
        "can't give argument to non-function .name",
    );
    at(
        "{{ 1 | 2 }}",
        1,
        8,
        "non executable command in pipeline stage 2",
    );
    at("{{ nil }}", 1, 4, "nil is not a command");
    at("{{ .a # }}", 1, 7, "unexpected character '#' in action");
    at(
        "{{ with $a, $b := 1 }}{{ end }}",
        1,
        11,
        "too many declarations in with",
    );
    at(
        "{{/* x */ }}",
        1,
        8,
        "comment ends before closing delimiter: \"*/\" must be followed by \"}}\"",
    );
    at("a\n{{/* x ", 2, 1, "unclosed comment: missing \"*/\"");
    at(
        "{{ .weird-key }}",
        1,
        10,
        "bad character '-' after \".weird\"; keys that are not identifiers need index, e.g. index . \"my-key\"",
    );
}

#[test]
fn builtin_errors() {
    at(
        "{{ len 1 2 }}",
        1,
        4,
        "wrong number of args for len: want 1 got 2",
    );
    at(
        "{{ .tags | len 1 }}",
        1,
        12,
        "wrong number of args for len: want 1 got 2",
    );
    at(
        "{{ and }}",
        1,
        4,
        "wrong number of args for and: want at least 1 got 0",
    );
    at(
        "\n   {{ index .tags 5 }}",
        2,
        7,
        "error calling index: index out of range: 5",
    );
    at(
        "{{ index .env 1 }}",
        1,
        4,
        "error calling index: value has type int; should be string",
    );
    at(
        "{{ slice .tags 2 1 }}",
        1,
        4,
        "error calling slice: invalid slice index: 2 > 1",
    );
    at(
        "{{ len .port }}",
        1,
        4,
        "error calling len: len of type int",
    );
    at(
        "{{ if lt .name 3 }}{{ end }}",
        1,
        7,
        "error calling lt: incompatible types for comparison: string and int",
    );
    at(
        "{{ eq .tags }}",
        1,
        4,
        "error calling eq: missing argument for comparison",
    );
    at(
        "{{ printf 1 }}",
        1,
        4,
        "error calling printf: format must be a string, not int",
    );
}

#[test]
fn execution_errors() {
    at(
        "{{ .name.first }}",
        1,
        9,
        "can't evaluate field first in type string",
    );
    at("{{ .port.x }}", 1, 9, "can't evaluate field x in type int");
    at(
        "{{ range $i, $c := .containers }}{{ $c.name.x }}{{ end }}",
        1,
        44,
        "can't evaluate field x in type string",
    );
    at(
        "{{ (index .tags 0).x }}",
        1,
        19,
        "can't evaluate field x in type string",
    );
    at(
        "{{ range .name }}{{ end }}",
        1,
        10,
        "range can't iterate over web",
    );
    at(
        "{{ range $i, $v := 3 }}{{ end }}",
        1,
        20,
        "can't use 3 to iterate over more than one variable",
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    at("é😀ü {{ nope }}", 1, 8, "function \"nope\" not defined");
}

#[test]
fn execution_errors_keep_the_template_file_name() {
    let t = Template::parse("svc.json", "\n {{ .a.b }}", &Funcs).expect("should succeed");
    let e = t
        .execute(&json!({"a": "s"}), &Funcs)
        .expect_err("should fail");
    assert_eq!(
        e.to_string(),
        "svc.json:2:7: can't evaluate field b in type string"
    );
}
