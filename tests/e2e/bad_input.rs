//! Bad input never crashes or misleads (issue #17): a default config name that is a directory or
//! a symlink loop, and a definition file that is a symlink loop, are named for what they are
//! (before, "no config file found" and "does not exist"). Deep nesting and byte order marks are
//! golden cases (tests/golden/render).

use crate::support::{TestContext, assert_failure};

#[test]
fn a_config_that_is_a_directory_or_a_symlink_loop_says_so() {
    let context = TestContext::offline();
    std::fs::create_dir(context.path("ecspresso.yml")).expect("mkdir");
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "ecspresso.yml is a directory; a config file must be a regular file",
    );
    std::fs::remove_dir(context.path("ecspresso.yml")).expect("rmdir");
    std::os::unix::fs::symlink("ecspresso.yml", context.path("ecspresso.yml")).expect("symlink");
    assert_failure(
        &context.run(&["render", "config"], &[]),
        "ecspresso.yml is a symlink loop (it resolves to itself)",
    );
}

#[test]
fn a_definition_that_is_a_symlink_loop_says_so() {
    let context = TestContext::offline();
    context.write(
        "ecspresso.yml",
        "region: ap-northeast-1\ncluster: default\nservice: web\ntask_definition: td.json\n",
    );
    std::os::unix::fs::symlink("td.json", context.path("td.json")).expect("symlink");
    assert_failure(
        &context.run(&["render", "taskdef"], &[]),
        "td.json is a symlink loop (it resolves to itself)",
    );
}
