//! Logging: one JSON object per line with zap-like keys, or human-readable output.
//!
//! Keys: `ts`, `level`, `msg`, `target`, `caller` (file:line), `service`, `node_id`, then the
//! event's own fields, then the fields of the spans it happened in (so `request_id`, set on the
//! request span by the HTTP middleware, lands on every line of that request).

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

const DEFAULT_FILTER: &str = "info,lapin=warn,amq_protocol=warn,actix_server=warn,actix_web=warn";

/// Installs the global subscriber. Safe to call more than once (later calls do nothing), which
/// lets tests start several servers in one process.
pub fn init(service: &'static str, node_id: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let result = match format {
        LogFormat::Json => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .fmt_fields(JsonFields::new())
            .event_format(ZapJson { service, node_id: node_id.to_owned() })
            .with_writer(std::io::stdout)
            .try_init(),
        LogFormat::Pretty => tracing_subscriber::fmt().with_env_filter(filter).with_target(true).try_init(),
    };
    // Already installed (tests): keep the first one.
    drop(result);
}

/// [`tokio::task::spawn_blocking`] inside the caller's span: the lines the blocking work logs
/// carry the request's `request_id` and `user_id` like the rest of the request (a blocking
/// thread does not inherit the async task's span by itself).
pub fn spawn_blocking<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
}

/// The zap-like JSON line format.
pub struct ZapJson {
    pub service: &'static str,
    pub node_id: String,
}

impl<S, N> FormatEvent<S, N> for ZapJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let meta = event.metadata();
        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));

        let mut line = Map::new();
        line.insert("ts".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into());
        line.insert("level".into(), meta.level().as_str().to_ascii_lowercase().into());
        line.insert("msg".into(), fields.remove("message").unwrap_or(Value::String(String::new())));
        line.insert("target".into(), meta.target().into());
        if let (Some(file), Some(n)) = (meta.file(), meta.line()) {
            line.insert("caller".into(), format!("{file}:{n}").into());
        }
        line.insert("service".into(), self.service.into());
        line.insert("node_id".into(), self.node_id.clone().into());
        for (k, v) in fields {
            line.insert(k, v);
        }
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let ext = span.extensions();
                let Some(formatted) = ext.get::<FormattedFields<N>>() else { continue };
                if let Ok(Value::Object(span_fields)) = serde_json::from_str::<Value>(formatted) {
                    for (k, v) in span_fields {
                        line.entry(k).or_insert(v);
                    }
                }
            }
        }
        writeln!(writer, "{}", Value::Object(line))
    }
}

struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // The whole cause chain, so a log line explains itself.
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.0.insert(field.name().into(), text.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::ErrorKind::Other)?.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn lines_carry_zap_keys_and_span_fields() {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(JsonFields::new())
            .event_format(ZapJson { service: "api-server", node_id: "api-1".into() })
            .with_writer(buffer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = "req-42");
            let _guard = span.enter();
            tracing::info!(conversation_id = 7_i64, "message sent");
        });
        let out = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf8");
        let line: Value = serde_json::from_str(out.trim()).expect("one JSON line");
        assert_eq!(line["msg"], "message sent");
        assert_eq!(line["level"], "info");
        assert_eq!(line["service"], "api-server");
        assert_eq!(line["node_id"], "api-1");
        assert_eq!(line["conversation_id"], 7);
        assert_eq!(line["request_id"], "req-42");
        assert!(line["ts"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert!(line["caller"].as_str().is_some_and(|c| c.contains("telemetry.rs:")));
    }
}
