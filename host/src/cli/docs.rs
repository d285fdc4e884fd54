//! `ristretto docs`: the README and the guides of `docs/`, embedded in the binary, so that the
//! documentation of the version you run is at hand offline (ecspresso's `docs` command): print
//! an article, list them, show an article's section index, or search every section; `--json`
//! for machines; `--lang ja` for the Japanese translations (docs/ja/), falling back to English
//! for an article not translated. Needs no config and no AWS.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::json;

use crate::output::{Logger, print_stdout, to_pretty_json};

/// One embedded document.
#[derive(Debug)]
struct Article {
    name: &'static str,
    text: &'static str,
}

/// The embedded documents, in reading order (`--article` takes these names).
const ARTICLES: [Article; 9] = [
    Article {
        name: "readme",
        text: include_str!("../../../README.md"),
    },
    Article {
        name: "getting-started",
        text: include_str!("../../../docs/getting-started.md"),
    },
    Article {
        name: "migrating-from-ecspresso",
        text: include_str!("../../../docs/migrating-from-ecspresso.md"),
    },
    Article {
        name: "config-reference",
        text: include_str!("../../../docs/config-reference.md"),
    },
    Article {
        name: "commands",
        text: include_str!("../../../docs/commands.md"),
    },
    Article {
        name: "blue-green",
        text: include_str!("../../../docs/blue-green.md"),
    },
    Article {
        name: "plugin-guide",
        text: include_str!("../../../docs/plugin-guide.md"),
    },
    Article {
        name: "ci",
        text: include_str!("../../../docs/ci.md"),
    },
    Article {
        name: "architecture",
        text: include_str!("../../../docs/architecture.md"),
    },
];

/// The Japanese translations (docs/ja/), under the names of their English originals.
const JA_ARTICLES: [Article; 5] = [
    Article {
        name: "readme",
        text: include_str!("../../../docs/ja/README.md"),
    },
    Article {
        name: "getting-started",
        text: include_str!("../../../docs/ja/getting-started.md"),
    },
    Article {
        name: "migrating-from-ecspresso",
        text: include_str!("../../../docs/ja/migrating-from-ecspresso.md"),
    },
    Article {
        name: "blue-green",
        text: include_str!("../../../docs/ja/blue-green.md"),
    },
    Article {
        name: "plugin-guide",
        text: include_str!("../../../docs/ja/plugin-guide.md"),
    },
];

/// `--lang` of `docs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Lang {
    /// English
    #[default]
    En,
    /// Japanese (日本語): README, getting-started, migrating-from-ecspresso, blue-green,
    /// plugin-guide; other articles in English
    Ja,
}

impl Lang {
    /// The articles written in this language.
    fn articles(self) -> &'static [Article] {
        match self {
            Self::En => &ARTICLES,
            Self::Ja => &JA_ARTICLES,
        }
    }

    /// The language's English name.
    fn label(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Ja => "Japanese",
        }
    }
}

/// Flags of `docs`.
#[derive(Debug, Args)]
pub struct DocsArgs {
    /// The article to print or index (see --list), e.g. `blue-green`; default: readme
    #[arg(value_name = "ARTICLE", conflicts_with = "article")]
    pub name: Option<String>,
    /// The article, as ecspresso's `docs --article`. With --search: search only this article
    #[arg(long, value_name = "NAME")]
    pub article: Option<String>,
    /// List the articles
    #[arg(long, conflicts_with_all = ["index", "search", "name", "article"])]
    pub list: bool,
    /// Print the article's section headings with their line numbers
    #[arg(long, conflicts_with = "search")]
    pub index: bool,
    /// Print the sections (of every article, or of --article) that mention KEYWORD
    /// (case-insensitive)
    #[arg(long, value_name = "KEYWORD")]
    pub search: Option<String>,
    /// Print JSON (sections with article, level, title, line and content)
    #[arg(long)]
    pub json: bool,
    /// The language of the documents: `ja` for the Japanese translations (articles without one
    /// are shown in English)
    #[arg(long, value_enum, default_value = "en")]
    pub lang: Lang,
}

/// A heading and the text up to the next heading.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Section {
    level: usize,
    title: String,
    /// 1-based line of the heading (0: the text before the first heading).
    line: usize,
    content: String,
}

/// Splits markdown into sections at ATX headings outside code fences.
fn sections(text: &str) -> Vec<Section> {
    let mut out = vec![Section {
        level: 0,
        title: String::new(),
        line: 0,
        content: String::new(),
    }];
    let mut in_fence = false;
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        let is_heading = !in_fence
            && (1..=6).contains(&hashes)
            && line[hashes..].starts_with(' ')
            && !line[hashes..].trim().is_empty();
        if is_heading {
            out.push(Section {
                level: hashes,
                title: line[hashes..].trim().to_owned(),
                line: index + 1,
                content: String::new(),
            });
        } else if let Some(current) = out.last_mut() {
            current.content.push_str(line);
            current.content.push('\n');
        }
    }
    out.retain(|s| s.level > 0 || !s.content.trim().is_empty());
    for section in &mut out {
        section.content = section.content.trim().to_owned();
    }
    out
}

/// The article's title: its first level-1 heading, else its name.
fn title(article: &Article) -> String {
    sections(article.text)
        .into_iter()
        .find(|s| s.level == 1)
        .map_or_else(|| article.name.to_owned(), |s| s.title)
}

fn find(name: &str) -> anyhow::Result<&'static Article> {
    ARTICLES
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name.trim_end_matches(".md")))
        .ok_or_else(|| {
            let names: Vec<&str> = ARTICLES.iter().map(|a| a.name).collect();
            anyhow::anyhow!("no article `{name}`: the articles are {}", names.join(", "))
        })
}

/// The article `name` in `lang`, else (saying so) in English.
fn find_in(name: &str, lang: Lang, logger: &Logger) -> anyhow::Result<&'static Article> {
    let english = find(name)?;
    match lang.articles().iter().find(|a| a.name == english.name) {
        Some(translated) => Ok(translated),
        None => {
            logger.info(&format!(
                "`{}` is not translated into {}; showing the English article",
                english.name,
                lang.label()
            ));
            Ok(english)
        }
    }
}

fn section_json(article: &Article, section: &Section, with_content: bool) -> serde_json::Value {
    let mut value = json!({
        "article": article.name,
        "level": section.level,
        "title": section.title,
        "line": section.line,
    });
    if with_content {
        value["content"] = json!(section.content);
    }
    value
}

/// Runs `docs`.
pub fn run(mut args: DocsArgs, logger: &Logger) -> anyhow::Result<ExitCode> {
    if args.article.is_none() {
        args.article = args.name.take();
    }
    if args.list {
        return list(args.lang.articles(), args.json);
    }
    if let Some(keyword) = &args.search {
        let articles: Vec<&Article> = match args.article.as_deref() {
            Some(name) => vec![find_in(name, args.lang, logger)?],
            None => args.lang.articles().iter().collect(),
        };
        return search(keyword, &articles, args.json, logger);
    }
    let article = find_in(
        args.article.as_deref().unwrap_or("readme"),
        args.lang,
        logger,
    )?;
    match (args.index, args.json) {
        (false, false) => print_stdout(article.text)?,
        (true, false) => {
            let mut text = String::new();
            for section in sections(article.text).iter().filter(|s| s.level > 0) {
                let indent = "  ".repeat(section.level - 1);
                text.push_str(&format!("{:>5}  {indent}{}\n", section.line, section.title));
            }
            print_stdout(&text)?;
        }
        (index, true) => {
            let all: Vec<_> = sections(article.text)
                .iter()
                .filter(|s| !index || s.level > 0)
                .map(|s| section_json(article, s, !index))
                .collect();
            print_stdout(&to_pretty_json(&json!(all)))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(articles: &[Article], json: bool) -> anyhow::Result<ExitCode> {
    if json {
        let all: Vec<_> = articles
            .iter()
            .map(|a| json!({"name": a.name, "title": title(a), "lines": a.text.lines().count()}))
            .collect();
        print_stdout(&to_pretty_json(&json!(all)))?;
    } else {
        let width = articles.iter().map(|a| a.name.len()).max().unwrap_or(0);
        let text: String = articles
            .iter()
            .map(|a| format!("{:width$}  {}\n", a.name, title(a)))
            .collect();
        print_stdout(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the matching sections; exit code 1 when none matches (as grep).
fn search(
    keyword: &str,
    articles: &[&Article],
    json: bool,
    logger: &Logger,
) -> anyhow::Result<ExitCode> {
    let needle = keyword.to_lowercase();
    if needle.trim().is_empty() {
        anyhow::bail!("--search needs a keyword");
    }
    let mut hits = Vec::new();
    for article in articles.iter().copied() {
        for section in sections(article.text) {
            let in_title = section.title.to_lowercase().contains(&needle);
            let lines: Vec<&str> = section
                .content
                .lines()
                .filter(|l| l.to_lowercase().contains(&needle))
                .collect();
            if in_title || !lines.is_empty() {
                let lines: Vec<String> = lines.iter().map(|l| l.trim().to_owned()).collect();
                hits.push((article, section, lines));
            }
        }
    }
    if json {
        let all: Vec<_> = hits
            .iter()
            .map(|(article, section, _)| section_json(article, section, true))
            .collect();
        print_stdout(&to_pretty_json(&json!(all)))?;
    } else {
        let mut text = String::new();
        for (article, section, lines) in &hits {
            let heading = if section.level == 0 {
                "(top)"
            } else {
                section.title.as_str()
            };
            text.push_str(&format!("{}:{}  {heading}\n", article.name, section.line));
            for line in lines.iter().take(3) {
                text.push_str(&format!("    {line}\n"));
            }
            if lines.len() > 3 {
                text.push_str(&format!("    … {} more lines\n", lines.len() - 3));
            }
        }
        print_stdout(&text)?;
    }
    if hits.is_empty() {
        logger.warn(&format!("no section mentions `{keyword}`"));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_headings_outside_code_fences() {
        let text = "intro\n# Title\ntext\n```sh\n# a shell comment\n```\n## Sub\nmore\n#nospace\n";
        let parsed = sections(text);
        let titles: Vec<(usize, &str, usize)> = parsed
            .iter()
            .map(|s| (s.level, s.title.as_str(), s.line))
            .collect();
        assert_eq!(titles, [(0, "", 0), (1, "Title", 2), (2, "Sub", 7)]);
        assert_eq!(parsed[1].content, "text\n```sh\n# a shell comment\n```");
        assert_eq!(parsed[2].content, "more\n#nospace");
    }

    #[test]
    fn every_document_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_suffix(".md")
                    .map(str::to_owned)
            })
            .collect();
        on_disk.push("readme".to_owned());
        on_disk.sort();
        let mut embedded: Vec<String> = ARTICLES.iter().map(|a| a.name.to_owned()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk, "add new docs/*.md files to ARTICLES");
        for article in &ARTICLES {
            assert!(!title(article).is_empty());
        }
    }

    #[test]
    fn every_japanese_document_is_embedded_under_its_english_name() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ja");
        let on_disk = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".md"))
            .count();
        assert_eq!(
            JA_ARTICLES.len(),
            on_disk,
            "add new docs/ja/*.md files to JA_ARTICLES"
        );
        for article in &JA_ARTICLES {
            assert!(
                find(article.name).is_ok(),
                "{} has no English original",
                article.name
            );
            assert!(!title(article).is_empty());
        }
    }

    #[test]
    fn unknown_articles_list_the_names() {
        let err = find("blue_green").unwrap_err().to_string();
        assert!(
            err.contains("blue-green") && err.contains("readme"),
            "{err}"
        );
        assert_eq!(find("CI.md").unwrap().name, "ci");
    }
}
