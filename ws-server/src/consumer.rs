//! The node's broker connection: broker -> [`crate::route`] -> hub.
//!
//! Declares the node's queues ([`crate::queue`]: `ws.<node_id>`, named, never server-named, so
//! a reconnect declares the same one, bounded, and its overflow notices), binds every key the
//! hub wants, consumes with manual acks and a prefetch window, and runs the binder (the hub's
//! dirty keys -> queue.bind/unbind, in order, on its own channel). Two channels: consume,
//! control (bindings). This connection never
//! publishes (typing and presence go through [`crate::publisher`]'s own connection): RabbitMQ
//! stops reading from a publishing connection under a memory alarm, acks included.
//!
//! Connection lost: sockets stay open; the node reconnects ([`broker::run_connected`]: backoff,
//! `/readyz` status, reconnect metric, logs), declares the queue again (the old one died with
//! the connection), re-binds everything wanted, re-reads from PostgreSQL what the events published meanwhile would have changed ([`crate::reload`]:
//! memberships, ended sessions closed with 4001, privacy), binds what that changed, and only
//! then consumes and sends `resync {reason: "broker_reconnected"}` to every ready socket:
//! clients catch up through REST. Nothing accumulates while the broker is away (dirty keys are
//! a set; ephemeral publishes fail fast and are dropped).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, QueueBindOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection};
use shared::broker::{self, BrokerStatus, Connected, Ended, Reconnect};
use shared::db::PgPool;
use shared::events::Event;
use tokio::sync::watch;

use crate::hub::{BindOp, Frame, Hub};
use crate::membership::LoadError;
use crate::presence::Presence;
use crate::queue::{NodeQueues, OverflowResync, OVERFLOW_REASON};
use crate::reload;
use crate::route::Router;

/// How long one ack may take before the serve loop moves on (see `handle`).
const ACK_TIMEOUT: Duration = Duration::from_secs(2);
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);
pub const RESYNC_REASON: &str = "broker_reconnected";

pub struct Consumer {
    pub amqp_url: String,
    pub exchange: String,
    pub node_id: String,
    pub prefetch: u16,
    pub queue_max_length: u32,
    pub status: BrokerStatus,
    pub hub: Arc<Hub>,
    pub pool: PgPool,
    pub presence: Presence,
    pub router: Router,
}

pub struct Link {
    conn: Connection,
    control: Channel,
    deliveries: lapin::Consumer,
    /// Notices of events the node queue dropped (see [`crate::queue`]).
    overflow: lapin::Consumer,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Broker(#[from] lapin::Error),
    #[error("reloading the local users' state: {0}")]
    Reload(#[from] LoadError),
}

impl Consumer {
    fn queues(&self) -> NodeQueues {
        NodeQueues::new(&self.node_id)
    }

    pub fn queue_name(&self) -> String {
        self.queues().events
    }

    /// Keeps the node's queue consumed (`shared::broker::run_connected`) until `shutdown`.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let reconnect = Reconnect::new(self.queue_name(), self.status.clone(), SETUP_TIMEOUT);
        broker::run_connected(&self, reconnect, shutdown).await;
    }

    /// Applies the hub's binding changes in order, forever; returns the error that stops it.
    async fn binder(&self, control: Channel) -> lapin::Error {
        loop {
            self.hub.bindings_changed().await;
            for op in self.hub.plan_bindings() {
                if let Err(e) = self.bind(&control, op).await {
                    return e;
                }
            }
            self.hub.finish_round();
        }
    }

    async fn bind(&self, control: &Channel, op: BindOp) -> lapin::Result<()> {
        let (queue, exchange) = (self.queue_name(), self.exchange.as_str());
        match op {
            BindOp::Bind(key) => {
                control
                    .queue_bind(
                        queue.as_str().into(),
                        exchange.into(),
                        key.as_str().into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                self.hub.mark_bound(&key);
            }
            BindOp::Unbind(key) => {
                control
                    .queue_unbind(queue.as_str().into(), exchange.into(), key.as_str().into(), FieldTable::default())
                    .await?;
            }
        }
        Ok(())
    }

    /// Tells every ready socket to catch up through REST; returns how many were told.
    fn resync(&self, reason: &str) -> usize {
        Frame::from_event(&Event::Resync { reason: reason.into() }).map_or(0, |frame| self.hub.broadcast(&frame))
    }

    async fn handle(&self, delivery: Delivery) {
        let Delivery { routing_key, properties, data, acker, .. } = delivery;
        self.router.route(routing_key.as_str(), &properties, data);
        // Failing acks mean the channel is gone: the stream reports it next, the broker redelivers
        // to nobody (the queue dies with the connection) and clients resync. Bounded: an ack
        // caught by a connection that died under it can stay pending forever, and the serve loop
        // would then never see the loss nor reconnect.
        match tokio::time::timeout(ACK_TIMEOUT, acker.ack(BasicAckOptions::default())).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "ack failed"),
            Err(_) => tracing::warn!("an ack did not complete in time: the connection is checked next"),
        }
    }
}

impl Connected for Consumer {
    type Link = Link;
    type Error = SetupError;

    async fn connect(&self) -> Result<Link, SetupError> {
        let queues = self.queues();
        let conn = broker::connect(&self.amqp_url, &queues.events).await?;
        let control = conn.create_channel().await?;
        broker::declare_exchange(&control, &self.exchange).await?;
        queues.declare(&control, self.queue_max_length).await?;
        for key in self.hub.reset_bindings() {
            self.bind(&control, BindOp::Bind(key)).await?;
        }
        // Bound first, so a change committed after this read arrives as an event.
        let reloaded = reload::after_reconnect(&self.hub, &self.pool, &self.presence).await?;
        if reloaded.users > 0 {
            tracing::info!(users = reloaded.users, closed = reloaded.closed, "local users' state re-read");
        }
        for op in self.hub.plan_bindings() {
            self.bind(&control, op).await?;
        }
        self.hub.finish_round();
        let consume = conn.create_channel().await?;
        consume.basic_qos(self.prefetch, BasicQosOptions::default()).await?;
        let deliveries = consume
            .basic_consume(
                queues.events.as_str().into(),
                queues.events.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let overflow = consume
            .basic_consume(
                queues.overflow.as_str().into(),
                queues.overflow.as_str().into(),
                BasicConsumeOptions { no_ack: true, ..Default::default() },
                FieldTable::default(),
            )
            .await?;
        Ok(Link { conn, control, deliveries, overflow })
    }

    async fn serve(&self, link: &mut Link, shutdown: &mut watch::Receiver<bool>) -> Ended {
        let binder = self.binder(link.control.clone());
        tokio::pin!(binder);
        let mut check = tokio::time::interval(Duration::from_secs(1));
        let mut overflow = OverflowResync::default();
        loop {
            tokio::select! {
                delivery = link.deliveries.next() => match delivery {
                    Some(Ok(delivery)) => self.handle(delivery).await,
                    Some(Err(e)) => return Ended::Lost(e.to_string()),
                    None => return Ended::Lost("the broker cancelled the consumer".into()),
                },
                notice = link.overflow.next() => match notice {
                    Some(Ok(_)) => {
                        metrics::counter!(shared::metrics::WS_DROPPED, "reason" => OVERFLOW_REASON).increment(1);
                        overflow.notice();
                    }
                    Some(Err(e)) => return Ended::Lost(e.to_string()),
                    None => return Ended::Lost("the broker cancelled the overflow consumer".into()),
                },
                _ = overflow.due() => {
                    let told = self.resync(OVERFLOW_REASON);
                    tracing::warn!(sessions = told, queue = self.queue_name(), "node queue overflowed: sockets told to resync");
                },
                e = &mut binder => return Ended::Lost(format!("binding failed: {e}")),
                _ = check.tick() => if !link.conn.status().connected() {
                    return Ended::Lost("connection closed".into());
                },
                _ = shutdown.changed() => return Ended::Shutdown,
            }
        }
    }

    fn connection(link: &Link) -> &Connection {
        &link.conn
    }

    /// After a broker outage: every socket catches up through REST.
    fn on_connected(&self, _link: &Link, again: bool) {
        if again {
            let told = self.resync(RESYNC_REASON);
            tracing::info!(sessions = told, "sockets told to resync");
        }
    }

    /// Nothing is bound any more (the queue died with the connection).
    fn on_lost(&self) {
        self.hub.clear_bindings();
    }
}
