//! Render benchmark: the example service in examples/web (Jsonnet + Go templates, an imported
//! library, ext vars, env file, 3 containers), from config to normalized task and service
//! definitions, in process. `cargo bench -p ristretto --bench render` prints the time per render.

use std::collections::BTreeMap;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use ristretto::config::{Environment, GlobalFlags, Globals, load_config};
use ristretto::definition::{load_service_definition, load_task_definition};
use ristretto::render::Renderer;

fn render_example(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/web");
    let mut environment = Environment::from_vars([("APP_ENV", "staging")]);
    if let Err(err) = environment.load_env_files(&[dir.join(".env")]) {
        panic!("env file: {err}");
    }
    let globals = match Globals::resolve(GlobalFlags::default(), &environment) {
        Ok(globals) => globals,
        Err(err) => panic!("globals: {err}"),
    };
    let ext_str = BTreeMap::from([("IMAGE_TAG".to_owned(), "v1.2.3".to_owned())]);
    let ext_code = BTreeMap::from([("REPLICAS".to_owned(), "2".to_owned())]);
    let config_path = dir.join("ecspresso.yml");

    c.bench_function("render example config + taskdef + servicedef", |b| {
        b.iter(|| {
            let renderer = Renderer::new(environment.clone(), ext_str.clone(), ext_code.clone());
            let config = load_config(&config_path, &renderer, &globals).map_err(|e| e.to_string());
            let config = match config {
                Ok(config) => config,
                Err(err) => panic!("{err}"),
            };
            let td = config
                .task_definition_path()
                .map(|p| load_task_definition(&p, &renderer));
            let sd = config
                .service_definition_path()
                .map(|p| load_service_definition(&p, &renderer, config.file.service.as_deref()));
            match (td, sd) {
                (Some(Ok(td)), Some(Ok(sd))) => (td, sd),
                other => panic!("render failed: {other:?}"),
            }
        });
    });
}

criterion_group!(benches, render_example);
criterion_main!(benches);
