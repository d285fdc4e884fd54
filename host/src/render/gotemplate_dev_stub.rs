pub trait FunctionSource {
    fn contains(&self, name: &str) -> bool;
    fn call(&self, name: &str, args: &[serde_json::Value]) -> Result<serde_json::Value, String>;
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct TemplateError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}
pub fn render(
    _file: &str,
    text: &str,
    _data: &serde_json::Value,
    _funcs: &dyn FunctionSource,
) -> Result<String, TemplateError> {
    Ok(text.to_owned())
}
