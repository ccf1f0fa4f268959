//! A proxy in front of the test RabbitMQ: a test cuts, freezes or alarms the broker of the
//! processes it points at this proxy, while everything else (the test's own publisher and
//! consumers, other tests) keeps the real broker.

use super::proxy::TcpProxy;
use super::{host_port, services};

pub struct BrokerProxy(TcpProxy);

impl BrokerProxy {
    pub async fn start() -> Self {
        Self(TcpProxy::start_amqp(host_port(&services().amqp_url, "127.0.0.1:5672")).await)
    }

    /// `AMQP_URL` for the processes under test.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.0.port)
    }

    /// Down: connections cut, new ones refused (a broker outage).
    pub fn set_up(&self, up: bool) {
        self.0.set_up(up);
    }

    /// Frozen: connections open, nothing moves (a stalled network or consumer).
    pub fn freeze(&self, frozen: bool) {
        self.0.freeze(frozen);
    }

    /// A memory alarm: connections that publish are blocked (no confirms) until it clears.
    pub fn set_alarm(&self, on: bool) {
        self.0.set_alarm(on);
    }
}
