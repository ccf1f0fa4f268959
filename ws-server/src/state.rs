//! What every handler and session can reach.

use std::sync::Arc;

use shared::broker::BrokerStatus;
use shared::cache::Cache;
use shared::config::Settings;
use shared::db::PgPool;

use crate::config::Tuning;
use crate::hub::Hub;
use crate::membership::Conversations;
use crate::presence::Presence;
use crate::publisher::Publisher;
use crate::ticket::Tickets;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub tuning: Arc<Tuning>,
    pub pool: PgPool,
    pub cache: Cache,
    /// Up while the node's consumer holds a broker connection with its queue declared.
    pub broker: BrokerStatus,
    pub hub: Arc<Hub>,
    pub presence: Presence,
    pub publisher: Publisher,
    pub conversations: Arc<Conversations>,
    pub tickets: Arc<Tickets>,
}
