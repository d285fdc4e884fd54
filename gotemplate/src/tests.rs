//! End-to-end tests of rendering: syntax, semantics and robustness.

use serde_json::{Value, json};

use super::{FunctionSource, Template, TemplateError, render};

/// A function source like ristretto's built-ins, over a fixed environment.
pub(super) struct Funcs;

impl Funcs {
    fn env(name: &str) -> Option<&'static str> {
        match name {
            "IMAGE" => Some("nginx:1.25"),
            "EMPTY" => Some(""),
            "QUOTED" => Some("say \"hi\""),
            _ => None,
        }
    }
}

/// The first argument as a string.
fn arg_str(args: &[Value], i: usize) -> Result<String, String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("argument {i} must be a string, got {other}")),
        None => Err(format!("missing argument {i}")),
    }
}

impl FunctionSource for Funcs {
    fn contains(&self, name: &str) -> bool {
        matches!(
            name,
            "env" | "must_env" | "json_escape" | "fail" | "list" | "count"
        )
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match name {
            "env" => {
                let key = arg_str(args, 0)?;
                let default = if args.len() > 1 {
                    arg_str(args, 1)?
                } else {
                    String::new()
                };
                Ok(json!(Funcs::env(&key).map_or(default, str::to_owned)))
            }
            "must_env" => {
                let key = arg_str(args, 0)?;
                Funcs::env(&key)
                    .map(|v| json!(v))
                    .ok_or_else(|| format!("environment variable {key} is not defined"))
            }
            "json_escape" => {
                let s =
                    serde_json::to_string(&json!(arg_str(args, 0)?)).map_err(|e| e.to_string())?;
                Ok(json!(s[1..s.len() - 1]))
            }
            "list" => Ok(Value::Array(args.to_vec())),
            "count" => Ok(json!(args.len())),
            _ => Err("boom".to_owned()),
        }
    }
}

/// Renders with a small data document; panics with the error on failure.
pub(super) fn ok(src: &str) -> String {
    match render("t.json", src, &data(), &Funcs) {
        Ok(out) => out,
        Err(e) => panic!("{src:?} failed: {e}"),
    }
}

/// Renders and returns the error; panics on success.
pub(super) fn fail(src: &str) -> TemplateError {
    match render("t.json", src, &data(), &Funcs) {
        Ok(out) => panic!("{src:?} unexpectedly rendered {out:?}"),
        Err(e) => e,
    }
}

/// The data bound to `.` in tests.
fn data() -> Value {
    json!({
        "name": "web",
        "port": 8080,
        "ratio": 0.25,
        "enabled": true,
        "nothing": null,
        "tags": ["a", "b", "c"],
        "empty": [],
        "env": {"B": "2", "A": "1"},
        "nested": {"inner": {"value": "deep"}},
        "containers": [{"name": "app", "cpu": 256}, {"name": "log", "cpu": 0}],
        "weird-key": "w"
    })
}

#[test]
fn plain_json_passes_through_byte_for_byte() {
    let src = "{\n  \"a\": {\"b\": [1, 2, {}]},\n  \"c\": \"}} { } ü 😀\",\r\n  \"d\": \"x\"\n}\n";
    assert_eq!(ok(src), src);
    assert_eq!(ok(""), "");
}

#[test]
fn trim_markers_remove_adjacent_whitespace() {
    assert_eq!(ok("a  \n\t {{- .name -}} \n\n b"), "awebb");
    assert_eq!(ok("a {{- .name }} b"), "aweb b");
    assert_eq!(ok("a {{ .name -}} \n b"), "a webb");
    assert_eq!(
        ok("[\n  {{- range .tags }}\n  {{ . }}\n  {{- end }}\n]"),
        "[\n  a\n  b\n  c\n]"
    );
    assert_eq!(ok("{{ 3 }}-{{-4}}"), "3--4");
}

#[test]
fn comments_are_dropped() {
    assert_eq!(ok("a{{/* note */}}b"), "ab");
    assert_eq!(ok("a {{- /* multi\nline */ -}} b"), "ab");
    assert_eq!(ok("{{/* {{ .x }} */}}z"), "z");
}

#[test]
fn pipelines_pass_the_previous_result_last() {
    assert_eq!(ok(r#"{{ "a\"b" | json_escape }}"#), r#"a\"b"#);
    assert_eq!(
        ok(r#"{{ must_env "QUOTED" | json_escape }}"#),
        r#"say \"hi\""#
    );
    assert_eq!(
        ok(r#"{{ env "NOPE" "def" }}|{{ env "IMAGE" "def" }}|{{ env "NOPE" }}"#),
        "def|nginx:1.25|"
    );
    assert_eq!(ok(r#"{{ "x" | printf "%s-%s" "y" }}"#), "y-x");
    assert_eq!(ok(r#"{{ .tags | len | printf "%03d" }}"#), "003");
    assert_eq!(ok(r#"{{ (env "NOPE" "b") }}{{ (list 1 2) | len }}"#), "b2");
    assert_eq!(ok(r#"{{ printf "%d" count }}"#), "0");
}

#[test]
fn literals() {
    assert_eq!(ok(r#"{{ "t\tn\\ \u00e9 \x41" }}"#), "t\tn\\ é A");
    assert_eq!(ok("{{ `raw \\n\nline` }}"), "raw \\n\nline");
    assert_eq!(
        ok("{{ 'a' }} {{ '\\n' }} {{ 0x1F }} {{ -12 }} {{ 1.5 }} {{ 1e3 }} {{ 2.0 }}"),
        "97 10 31 -12 1.5 1000 2"
    );
    assert_eq!(
        ok("{{ true }} {{ false }} {{ print nil }}"),
        "true false <nil>"
    );
}

#[test]
fn fields_variables_and_chains() {
    assert_eq!(
        ok("{{ .nested.inner.value }} {{ $.name }} {{ .missing }} {{ .missing.deeper }}"),
        "deep web <no value> <no value>"
    );
    assert_eq!(
        ok("{{ $c := index .containers 1 }}{{ $c.name }}/{{ (index .containers 0).cpu }}"),
        "log/256"
    );
    assert_eq!(
        ok(r#"{{ index . "weird-key" }} {{ .nothing }} {{ .nothing.x }}"#),
        "w <no value> <no value>"
    );
    assert_eq!(
        ok("{{ with .nested }}{{ .inner.value }}{{ $.port }}{{ end }}"),
        "deep8080"
    );
    assert_eq!(ok("{{ . | len }}"), "11");
}

#[test]
fn printing_values_like_go() {
    assert_eq!(
        ok("{{ .tags }} {{ .env }} {{ .port }} {{ .ratio }} {{ .enabled }} {{ .empty }}"),
        "[a b c] map[A:1 B:2] 8080 0.25 true []"
    );
    assert_eq!(
        ok("{{ .containers }}"),
        "[map[cpu:256 name:app] map[cpu:0 name:log]]"
    );
}

#[test]
fn if_else_if_else() {
    let t = "{{ if eq .port 80 }}http{{ else if eq .port 8080 }}alt{{ else }}other{{ end }}";
    assert_eq!(ok(t), "alt");
    assert_eq!(
        ok("{{ if .empty }}x{{ else if .nothing }}y{{ else }}z{{ end }}"),
        "z"
    );
    assert_eq!(
        ok("{{ if .tags }}yes{{ end }}{{ if not .empty }}!{{ end }}"),
        "yes!"
    );
    assert_eq!(
        ok(
            "{{ if and .enabled .port }}both{{ end }}{{ if or .nothing 0 }}{{ else }}neither{{ end }}"
        ),
        "bothneither"
    );
}

#[test]
fn range_over_arrays_objects_and_ints() {
    assert_eq!(ok("{{ range .tags }}<{{ . }}>{{ end }}"), "<a><b><c>");
    assert_eq!(
        ok("{{ range $i, $v := .tags }}{{ $i }}={{ $v }};{{ end }}"),
        "0=a;1=b;2=c;"
    );
    assert_eq!(ok("{{ range $v := .tags }}{{ $v }}{{ end }}"), "abc");
    assert_eq!(
        ok("{{ range $k, $v := .env }}{{ $k }}:{{ $v }},{{ end }}"),
        "A:1,B:2,"
    );
    assert_eq!(ok("{{ range .env }}{{ . }}{{ end }}"), "12");
    assert_eq!(
        ok(
            "{{ range 3 }}{{ . }}{{ end }}|{{ range $i := 2 }}{{ $i }}{{ end }}|{{ range 0 }}x{{ end }}"
        ),
        "012|01|"
    );
    assert_eq!(
        ok("{{ range .empty }}x{{ else }}none{{ end }}{{ range .nothing }}x{{ else }}nil{{ end }}"),
        "nonenil"
    );
    assert_eq!(
        ok("{{ range .containers }}{{ .name }}={{ .cpu }} {{ end }}"),
        "app=256 log=0 "
    );
    assert_eq!(ok("{{ range list 1 2 }}{{ . }}{{ end }}"), "12");
}

#[test]
fn break_and_continue() {
    assert_eq!(
        ok("{{ range .tags }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}"),
        "a"
    );
    assert_eq!(
        ok("{{ range .tags }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}"),
        "ac"
    );
    let nested = "{{ range $i := 3 }}{{ range $.tags }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ $i }}{{ . }}{{ end }}{{ end }}";
    assert_eq!(ok(nested), "0a1a2a");
}

#[test]
fn with_else_with_else() {
    assert_eq!(
        ok("{{ with .name }}[{{ . }}]{{ end }}{{ with .nothing }}x{{ else }}none{{ end }}"),
        "[web]none"
    );
    assert_eq!(
        ok("{{ with .missing }}a{{ else with .port }}{{ . }}{{ else }}c{{ end }}"),
        "8080"
    );
    assert_eq!(
        ok("{{ with $x := .nested.inner }}{{ $x.value }}{{ .value }}{{ end }}"),
        "deepdeep"
    );
}

#[test]
fn variables_and_scoping() {
    assert_eq!(
        ok("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}"),
        "2"
    );
    assert_eq!(
        ok("{{ $x := 1 }}{{ if true }}{{ $x := 5 }}{{ $x }}{{ end }}{{ $x }}"),
        "51"
    );
    assert_eq!(
        ok("{{ $n := 0 }}{{ range .tags }}{{ $n = . }}{{ end }}{{ $n }}"),
        "c"
    );
    assert_eq!(
        ok("{{ $x := .name }}{{ range .tags }}{{ $x }}{{ end }}"),
        "webwebweb"
    );
    assert_eq!(
        ok("{{ if $v := .port }}{{ $v }}{{ else }}{{ $v }}{{ end }}"),
        "8080"
    );
    assert!(ok("{{ $ }}").starts_with("map[containers:["));
    assert!(
        fail("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}")
            .message
            .contains("undefined variable \"$y\"")
    );
    assert!(
        fail("{{ range .tags }}{{ $z := . }}{{ end }}{{ $z }}")
            .message
            .contains("undefined variable")
    );
}

#[test]
fn printf_variants() {
    assert_eq!(ok(r#"{{ printf "%s:%d" .name .port }}"#), "web:8080");
    assert_eq!(
        ok(r#"{{ printf "%v %q %t" .tags .name .enabled }}"#),
        "[a b c] \"web\" true"
    );
    assert_eq!(
        ok(r#"{{ printf "%.2f|%5d|%-5s|%05d|%x|%X|%%" .ratio 42 "ab" 7 255 255 }}"#),
        "0.25|   42|ab   |00007|ff|FF|%"
    );
    assert_eq!(ok(r#"{{ printf "%d" "s" }}"#), "%!d(string=s)");
    assert_eq!(
        ok(r#"{{ print "a" 1 2 "b" }}|{{ println "x" 1 }}"#),
        "a1 2b|x 1\n"
    );
}

#[test]
fn comparisons() {
    assert_eq!(
        ok(r#"{{ eq .name "api" "web" }} {{ eq .name "api" "db" }} {{ ne .port 80 }}"#),
        "true false true"
    );
    assert_eq!(
        ok("{{ lt 1 1.5 }} {{ lt 2.5 2 }} {{ le 2 2.0 }} {{ gt .port 80 }} {{ ge .ratio 0.25 }}"),
        "true false true true true"
    );
    assert_eq!(
        ok(r#"{{ lt "a" "b" }} {{ eq .nothing nil }} {{ eq .missing .nothing }}"#),
        "true true true"
    );
}

#[test]
fn len_index_slice() {
    assert_eq!(
        ok(r#"{{ len .tags }} {{ len .name }} {{ len .env }} {{ len "é" }}"#),
        "3 3 2 2"
    );
    assert_eq!(
        ok(
            r#"{{ index .tags 1 }} {{ index .env "A" }} {{ index .containers 1 "name" }} {{ index .env "Z" }}"#
        ),
        "b 1 log <no value>"
    );
    assert_eq!(
        ok(
            r#"{{ slice .tags 1 }} {{ slice .tags 0 2 }} {{ slice .name 1 2 }} {{ slice .tags 1 2 3 }}"#
        ),
        "[b c] [a b] e [b]"
    );
}

#[test]
fn and_or_short_circuit_and_return_values() {
    assert_eq!(
        ok(r#"{{ or .missing "fallback" }} {{ and .name .port }} {{ and 0 "x" }} {{ or 0 "" }}"#),
        "fallback 8080 0 "
    );
    assert_eq!(
        ok(r#"{{ and false (must_env "NOPE") }} {{ or true (must_env "NOPE") }}"#),
        "false true"
    );
    assert_eq!(ok(r#"{{ .name | and true }} {{ "" | or "x" }}"#), "web x");
}

#[test]
fn escapers() {
    assert_eq!(
        ok(r#"{{ html "<b>" }} {{ js "it's" }} {{ urlquery "a b" }} {{ "<" | html }}"#),
        "&lt;b&gt; it\\'s a+b &lt;"
    );
}

/// Functions that shadow builtins.
struct Shadow;

impl FunctionSource for Shadow {
    fn contains(&self, name: &str) -> bool {
        name == "len" || name == "call"
    }

    fn call(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Ok(json!(format!("custom {name}")))
    }
}

#[test]
fn caller_functions_take_precedence_over_builtins() {
    let out = render(
        "t",
        "{{ len 1 2 3 }} {{ call }} {{ len .x | printf \"%s\" }}",
        &json!({}),
        &Shadow,
    );
    assert_eq!(out.as_deref(), Ok("custom len custom call custom len"));
}

#[test]
fn a_parsed_template_runs_many_times() {
    let t = Template::parse("t", "{{ .n }}-{{ env \"IMAGE\" }}", &Funcs).expect("should succeed");
    assert_eq!(
        t.execute(&json!({"n": 1}), &Funcs).expect("should succeed"),
        "1-nginx:1.25"
    );
    assert_eq!(
        t.execute(&json!({"n": "x"}), &Funcs)
            .expect("should succeed"),
        "x-nginx:1.25"
    );
    assert_eq!(
        t.execute(&json!(null), &Funcs).expect("should succeed"),
        "<no value>-nginx:1.25"
    );
}

/// A realistic task definition with ~20 actions (about 5 KB).
pub(super) fn task_definition() -> String {
    let mut s = String::from("{\n  \"family\": \"{{ .name }}\",\n  \"containerDefinitions\": [\n");
    for i in 0..10 {
        s.push_str(&format!(
            "    {{\n      \"name\": \"c{i}\",\n      \"image\": \"{{{{ must_env `IMAGE` }}}}\",\n      \"cpu\": {{{{ .port }}}},\n      \"essential\": true,\n      \"environment\": [{{\"name\": \"K{i}\", \"value\": \"v\"}}, {{\"name\": \"L\", \"value\": \"{{{{ env `NOPE` `x` | json_escape }}}}\"}}],\n      \"portMappings\": [{{\"containerPort\": 80, \"hostPort\": 80, \"protocol\": \"tcp\"}}],\n      \"logConfiguration\": {{\"logDriver\": \"awslogs\", \"options\": {{\"awslogs-group\": \"/ecs/web\", \"awslogs-region\": \"ap-northeast-1\", \"awslogs-stream-prefix\": \"c{i}\"}}}}\n    }}{}\n",
            if i < 9 { "," } else { "" }
        ));
    }
    s.push_str("  ]\n}\n");
    s
}

#[test]
fn renders_a_task_definition_quickly() {
    let src = task_definition();
    assert!(src.len() > 4000, "{}", src.len());
    let out = ok(&src);
    assert!(out.contains("\"image\": \"nginx:1.25\""));
    assert!(serde_json::from_str::<Value>(&out).is_ok(), "{out}");
    let data = data();
    let start = std::time::Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        render("t", &src, &data, &Funcs).expect("should succeed");
    }
    let per = start.elapsed() / rounds;
    // Generous bound for unoptimised test builds; catches quadratic behaviour.
    assert!(
        per < std::time::Duration::from_millis(5),
        "{per:?} per render"
    );
}

#[test]
fn truncated_prefixes_never_panic() {
    let src = format!(
        "{}{}",
        task_definition(),
        r#"{{- /* c */ -}}{{ $x := 1 }}{{ range $i, $v := .tags }}{{ if eq $i 1 }}{{ continue }}{{ else if gt $i 5 }}{{ break }}{{ end }}{{ printf "%q %5.2f" $v 1.5 }}{{ end }}{{ with .env }}{{ .A }}{{ else with .B }}{{ end }}{{ `raw` }}{{ 'c' }}{{ (index .containers 0).name | len }}{{ $x = 2 }}"#
    );
    let mut count = 0;
    for (i, _) in src.char_indices() {
        let _ = render("t", &src[..i], &data(), &Funcs);
        count += 1;
    }
    assert!(count > 4000);
    assert!(render("t", &src, &data(), &Funcs).is_ok());
}

#[test]
fn define_template_and_block() {
    // As Go's text/template: a defined template runs with `.` bound to the pipeline (nil
    // without one) and without the caller's variables.
    assert_eq!(
        ok("{{ define \"img\" }}nginx:{{ . }}{{ end }}[{{ template \"img\" \"1.25\" }}]"),
        "[nginx:1.25]"
    );
    assert_eq!(
        ok("{{ $x := 1 }}{{ template \"t\" }}{{ define \"t\" }}<{{ . }}>{{ end }}"),
        "<<no value>>"
    );
    // block = define + template; a define of the same name replaces the block's default.
    assert_eq!(
        ok("{{ block \"b\" \"d\" }}default {{ . }}{{ end }}"),
        "default d"
    );
    assert_eq!(
        ok("{{ block \"b\" 1 }}default{{ end }}{{ define \"b\" }}custom {{ . }}{{ end }}"),
        "custom 1"
    );
}

#[test]
fn random_input_never_panics() {
    const PIECES: &[&str] = &[
        "{{", "}}", "{{-", " -}}", " ", "\n", ".", "$", "$x", ":=", "=", "|", "(", ")", "\"", "`",
        "'", "\\", "a", "if", "else", "end", "range", "with", "break", "continue", "printf",
        "index", "slice", "len", "eq", "lt", "and", "or", "not", "1", "-2", "0x", "1.5e", ",",
        "/*", "*/", "nil", "true", ".tags", ".env", "é", "%d", "define", "{", "}", "env",
        "must_env", "print", "html", "js", "urlquery", "call",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5000 {
        let n = (next() % 24) as usize;
        let src: String = (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let _ = render("fuzz", &src, &data(), &Funcs);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{{{{ {}1{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(fail(&deep).message.contains("nested too deeply"));
    let ok_depth = format!("{{{{ {}1{} }}}}", "(".repeat(200), ")".repeat(200));
    assert_eq!(ok(&ok_depth), "1");
    let ifs = format!(
        "{}x{}",
        "{{ if true }}".repeat(10_000),
        "{{ end }}".repeat(10_000)
    );
    assert!(fail(&ifs).message.contains("nested too deeply"));
    let ok_ifs = format!(
        "{}x{}",
        "{{ if true }}".repeat(200),
        "{{ end }}".repeat(200)
    );
    assert_eq!(ok(&ok_ifs), "x");
    let mixed = format!(
        "{}{{{{ {}1{} }}}}{}",
        "{{ with 1 }}".repeat(100),
        "(".repeat(100),
        ")".repeat(100),
        "{{ end }}".repeat(100)
    );
    assert_eq!(ok(&mixed), "1");
    let too_deep = format!("{{{{ {}1{} }}}}", "(".repeat(201), ")".repeat(201));
    assert_eq!(fail(&too_deep).column, 204);
}
