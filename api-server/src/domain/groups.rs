//! Groups: creation (with a `general` channel), roles and their permissions, members, owner
//! transfer, channels, deletion (invite links: `invites.rs`).
//!
//! Permissions: members read and write; admins also add and remove members (not admins or the
//! owner), manage channels and invites and edit the group; the owner also changes roles,
//! transfers ownership and deletes the group. Every channel is a conversation whose members are the group's members.

use diesel::{OptionalExtension, PgConnection};
use shared::api::{ChannelDto, GroupDto, GroupMemberDto};
use shared::enums::GroupRole;
use shared::error::ErrorCode;
use shared::events::UpdateReason;
use shared::ids::{AttachmentId, ConversationId, GroupId, UserId};
use shared::models::attachment::Attachment;
use shared::models::contact::Block;
use shared::models::conversation::{Conversation, Member};
use shared::models::group::{Group, GroupChanges, GroupMember};
use shared::models::group_removal;
use shared::models::message::Message;
use shared::models::outbox::Outbox;
use shared::models::privacy::Approach;
use shared::models::user::User;
use shared::Error;

use crate::domain::users::{active_user, user_not_found};
use crate::domain::validate::{self, Checks};
use crate::domain::{events, media, privacy};

pub const MAX_INITIAL_MEMBERS: usize = 200;
pub const MAX_CHANNELS: usize = 50;
pub const MAX_MEMBERS: i64 = 10_000;

pub fn not_found() -> Error {
    Error::not_found(ErrorCode::GroupNotFound, "no such group")
}

fn forbidden(what: &str) -> Error {
    Error::forbidden(ErrorCode::InsufficientRole, format!("your role in this group does not allow you to {what}"))
}

/// My membership; 404 for non-members (they learn nothing about the group).
pub(crate) fn require_role(
    conn: &mut PgConnection,
    group_id: GroupId,
    me: UserId,
    at_least: GroupRole,
    what: &str,
) -> Result<GroupMember, Error> {
    let member = GroupMember::find(conn, group_id, me)?.ok_or_else(not_found)?;
    if member.role < at_least {
        return Err(forbidden(what));
    }
    Ok(member)
}

/// A block either way between me and `user_id`: neither may put the other into a group (other
/// admins still may; invite links too, as they are the invited user's own choice).
fn require_no_block(conn: &mut PgConnection, me: UserId, user_id: UserId) -> Result<(), Error> {
    if Block::between(conn, me, user_id)? {
        return Err(Error::forbidden(
            ErrorCode::Blocked,
            "a block between you and this user prevents adding them to a group",
        ));
    }
    Ok(())
}

pub struct NewGroup {
    pub name: String,
    pub description: Option<String>,
    pub member_ids: Vec<UserId>,
}

fn parse_channel_name(name: &str) -> Result<String, Error> {
    validate::text("name", name, 1, validate::CHANNEL_NAME_MAX, false).map_err(|e| Error::validation(vec![e]))
}

fn existing_user(conn: &mut PgConnection, id: UserId) -> Result<User, Error> {
    active_user(conn, id)?.ok_or_else(user_not_found)
}

pub fn create(conn: &mut Outbox<'_>, me: UserId, input: NewGroup) -> Result<GroupDto, Error> {
    let mut checks = Checks::default();
    let name = checks.check(validate::text("name", &input.name, 1, validate::GROUP_NAME_MAX, false));
    let description = match &input.description {
        Some(d) => checks.check(validate::text("description", d, 0, validate::DESCRIPTION_MAX, true)),
        None => Some(String::new()),
    };
    if input.member_ids.len() > MAX_INITIAL_MEMBERS {
        checks.check::<()>(Err(shared::error::FieldError::new("member_ids", format!("at most {MAX_INITIAL_MEMBERS}"))));
    }
    checks.finish()?;
    let (name, description) = (name.unwrap_or_default(), description.unwrap_or_default());
    conn.transaction(|conn| {
        let group = Group::create(conn, &name, &description, me)?;
        let general = Conversation::create_channel(conn, group.id, "general")?;
        GroupMember::add(conn, group.id, me, GroupRole::Owner)?;
        let mut members = vec![me];
        for id in input.member_ids.iter().copied().filter(|id| *id != me) {
            let user =
                active_user(conn, id)?.ok_or_else(|| Error::invalid("member_ids", format!("no such user: {id}")))?;
            require_no_block(conn, me, id)?;
            privacy::require(conn, &user, me, Approach::AddToGroup)?;
            if GroupMember::add(conn, group.id, id, GroupRole::Member)? {
                members.push(id);
            }
        }
        Member::add_many(conn, general.id, &members)?;
        for id in &members {
            events::to_user(
                conn,
                *id,
                &events::updated(Some(general.id), Some(group.id), UpdateReason::MemberAdded, Some(*id)),
            )?;
        }
        dto(conn, group.id, me)
    })
}

pub fn get(conn: &mut PgConnection, me: UserId, group_id: GroupId) -> Result<GroupDto, Error> {
    require_role(conn, group_id, me, GroupRole::Member, "read it")?;
    dto(conn, group_id, me)
}

pub(crate) fn dto(conn: &mut PgConnection, group_id: GroupId, me: UserId) -> Result<GroupDto, Error> {
    let group = Group::find(conn, group_id).optional()?.ok_or_else(not_found)?;
    let members = GroupMember::list(conn, group_id)?;
    let my_role = members.iter().find(|(m, _)| m.user_id == me).map(|(m, _)| m.role).ok_or_else(not_found)?;
    let users = privacy::user_dtos(conn, me, members.iter().map(|(_, u)| u))?;
    let channels = Conversation::channels_of(conn, group_id)?;
    Ok(GroupDto {
        id: group.id,
        name: group.name,
        description: group.description,
        avatar_id: group.avatar_id,
        created_by: group.created_by,
        created_at: group.created_at,
        my_role,
        channels: channels
            .into_iter()
            .map(|c| ChannelDto { id: c.id, name: c.name.unwrap_or_default(), last_seq: c.last_seq })
            .collect(),
        members: members
            .iter()
            .zip(users)
            .map(|((m, _), user)| GroupMemberDto { user, role: m.role, joined_at: m.joined_at })
            .collect(),
    })
}

pub struct GroupUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_id: Option<Option<AttachmentId>>,
}

pub fn update(conn: &mut Outbox<'_>, me: UserId, group_id: GroupId, update: GroupUpdate) -> Result<GroupDto, Error> {
    let mut checks = Checks::default();
    let changes = GroupChanges {
        name: update.name.and_then(|n| checks.check(validate::text("name", &n, 1, validate::GROUP_NAME_MAX, false))),
        description: update
            .description
            .and_then(|d| checks.check(validate::text("description", &d, 0, validate::DESCRIPTION_MAX, true))),
        avatar_id: update.avatar_id,
    };
    checks.finish()?;
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Admin, "edit the group")?;
        if let Some(Some(avatar)) = changes.avatar_id {
            media::require_own_image(conn, me, "avatar_id", avatar)?;
        }
        if changes.name.is_some() || changes.description.is_some() || changes.avatar_id.is_some() {
            let old_avatar = Group::find(conn, group_id)?.avatar_id;
            let group = Group::update(conn, group_id, &changes)?;
            if let (Some(old), true) = (old_avatar, old_avatar != group.avatar_id) {
                // A replaced avatar nothing else uses: its bytes to the media sweeper.
                Attachment::trash_unreferenced(conn, &[old])?;
            }
            events::to_group(conn, group_id, &events::updated(None, Some(group_id), UpdateReason::Renamed, None))?;
        }
        dto(conn, group_id, me)
    })
}

/// Joins `user_id` to the group and all its channels; `false` when already a member.
pub(crate) fn join(conn: &mut Outbox<'_>, group_id: GroupId, user_id: UserId) -> Result<bool, Error> {
    // First: sends in the group's channels commit wholly before or after this (outbox order).
    Conversation::lock_group_channels(conn, group_id)?;
    if GroupMember::count(conn, group_id)? >= MAX_MEMBERS {
        return Err(Error::conflict(ErrorCode::GroupFull, format!("a group has at most {MAX_MEMBERS} members")));
    }
    if !GroupMember::add(conn, group_id, user_id, GroupRole::Member)? {
        return Ok(false);
    }
    Member::join_group_channels(conn, group_id, user_id)?;
    events::membership_changed(conn, group_id, user_id, UpdateReason::MemberAdded)?;
    Ok(true)
}

fn part(conn: &mut Outbox<'_>, group_id: GroupId, user_id: UserId) -> Result<(), Error> {
    // First: a message committed after this gets a later outbox id, so the ws nodes drop the
    // member before they see it.
    Conversation::lock_group_channels(conn, group_id)?;
    Member::leave_group_channels(conn, group_id, user_id)?;
    GroupMember::remove(conn, group_id, user_id)?;
    events::membership_changed(conn, group_id, user_id, UpdateReason::MemberRemoved)
}

pub fn add_member(conn: &mut Outbox<'_>, me: UserId, group_id: GroupId, user_id: UserId) -> Result<GroupDto, Error> {
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Admin, "add members")?;
        let user = existing_user(conn, user_id)?;
        if GroupMember::find(conn, group_id, user_id)?.is_none() {
            require_no_block(conn, me, user_id)?;
            privacy::require(conn, &user, me, Approach::AddToGroup)?;
        }
        // An admin letting a removed member back in lifts the removal.
        group_removal::clear(conn, group_id, user_id)?;
        join(conn, group_id, user_id)?;
        dto(conn, group_id, me)
    })
}

pub fn remove_member(conn: &mut Outbox<'_>, me: UserId, group_id: GroupId, user_id: UserId) -> Result<(), Error> {
    if user_id == me {
        return leave(conn, me, group_id);
    }
    conn.transaction(|conn| {
        let mine = require_role(conn, group_id, me, GroupRole::Admin, "remove members")?;
        let target = GroupMember::find_for_update(conn, group_id, user_id)?
            .ok_or_else(|| Error::not_found(ErrorCode::MemberNotFound, "this user is not a member"))?;
        if target.role >= mine.role {
            return Err(forbidden("remove a member of equal or higher role"));
        }
        group_removal::record(conn, group_id, user_id, me)?;
        part(conn, group_id, user_id)
    })
}

pub fn leave(conn: &mut Outbox<'_>, me: UserId, group_id: GroupId) -> Result<(), Error> {
    conn.transaction(|conn| {
        let mine = require_role(conn, group_id, me, GroupRole::Member, "leave")?;
        if mine.role == GroupRole::Owner {
            if GroupMember::count(conn, group_id)? > 1 {
                return Err(Error::conflict(
                    ErrorCode::OwnerMustTransfer,
                    "transfer ownership to another member before leaving",
                ));
            }
            // The last member leaves: the group goes.
            part(conn, group_id, me)?;
            return purge(conn, group_id);
        }
        part(conn, group_id, me)
    })
}

/// The owner deletes the group with everything in it (see [`purge`]). Admins and members get
/// 403 `insufficient_role`, others 404.
pub fn delete(conn: &mut Outbox<'_>, me: UserId, group_id: GroupId) -> Result<(), Error> {
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Owner, "delete the group")?;
        purge(conn, group_id)
    })
}

/// Removes the group in the caller's transaction: its channels, their messages, reactions,
/// receipts and reports, its members, invite links and removals (the foreign keys cascade),
/// and the uploads its messages carried and its avatar unless something else still uses them
/// (rows now, bytes by the media sweeper through `media_trash`). Announced as
/// `conversation.updated {reason: deleted, group_id, conversation_id: null}` on `group.<gid>`:
/// every ws node delivers it to the members' sockets, then forgets the group.
fn purge(conn: &mut Outbox<'_>, group_id: GroupId) -> Result<(), Error> {
    // First: a send in one of its channels commits wholly before this (and is deleted with it)
    // or finds the channel gone.
    let channels = Conversation::lock_group_channels(conn, group_id)?;
    let group = Group::find(conn, group_id).optional()?.ok_or_else(not_found)?;
    let mut uploads = Message::uploads_in(conn, &channels)?;
    uploads.extend(group.avatar_id);
    events::to_group(conn, group_id, &events::updated(None, Some(group_id), UpdateReason::Deleted, None))?;
    Group::delete(conn, group_id)?;
    let trashed = Attachment::trash_unreferenced(conn, &uploads)?;
    tracing::info!(group_id = group_id.0, channels = channels.len(), uploads = trashed, "group deleted");
    Ok(())
}

/// The owner sets a member's role; `owner` transfers ownership (the old owner becomes admin).
pub fn set_role(
    conn: &mut Outbox<'_>,
    me: UserId,
    group_id: GroupId,
    user_id: UserId,
    role: &str,
) -> Result<GroupDto, Error> {
    let role = GroupRole::parse(role).ok_or_else(|| Error::invalid("role", "must be one of owner, admin, member"))?;
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Owner, "change roles")?;
        if user_id == me {
            return Err(Error::invalid("user_id", "transfer ownership to another member instead"));
        }
        GroupMember::find_for_update(conn, group_id, user_id)?
            .ok_or_else(|| Error::not_found(ErrorCode::MemberNotFound, "this user is not a member"))?;
        if role == GroupRole::Owner {
            // Demote first: the unique index allows one owner at a time.
            GroupMember::set_role(conn, group_id, me, GroupRole::Admin)?;
        }
        GroupMember::set_role(conn, group_id, user_id, role)?;
        events::to_group(
            conn,
            group_id,
            &events::updated(None, Some(group_id), UpdateReason::RoleChanged, Some(user_id)),
        )?;
        dto(conn, group_id, me)
    })
}

pub fn create_channel(conn: &mut Outbox<'_>, me: UserId, group_id: GroupId, name: &str) -> Result<ChannelDto, Error> {
    let name = parse_channel_name(name)?;
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Admin, "create channels")?;
        let channels = Conversation::channels_of(conn, group_id)?;
        if channels.len() >= MAX_CHANNELS {
            return Err(Error::conflict(
                ErrorCode::TooManyChannels,
                format!("a group has at most {MAX_CHANNELS} channels"),
            ));
        }
        if channels.iter().any(|c| c.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&name))) {
            return Err(Error::conflict(ErrorCode::ChannelNameTaken, "a channel with this name exists"));
        }
        let channel = Conversation::create_channel(conn, group_id, &name)?;
        Member::add_group_members_to(conn, group_id, channel.id)?;
        events::to_group(
            conn,
            group_id,
            &events::updated(Some(channel.id), Some(group_id), UpdateReason::Created, None),
        )?;
        Ok(ChannelDto { id: channel.id, name, last_seq: 0 })
    })
}

fn channel_of(conn: &mut PgConnection, group_id: GroupId, channel_id: ConversationId) -> Result<Conversation, Error> {
    Conversation::find(conn, channel_id)
        .ok()
        .filter(|c| c.group_id == Some(group_id))
        .ok_or_else(|| Error::not_found(ErrorCode::ChannelNotFound, "no such channel in this group"))
}

pub fn rename_channel(
    conn: &mut Outbox<'_>,
    me: UserId,
    group_id: GroupId,
    channel_id: ConversationId,
    name: &str,
) -> Result<ChannelDto, Error> {
    let name = parse_channel_name(name)?;
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Admin, "rename channels")?;
        let channel = channel_of(conn, group_id, channel_id)?;
        let taken = Conversation::channels_of(conn, group_id)?
            .iter()
            .any(|c| c.id != channel_id && c.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&name)));
        if taken {
            return Err(Error::conflict(ErrorCode::ChannelNameTaken, "a channel with this name exists"));
        }
        Conversation::rename(conn, channel_id, &name)?;
        events::to_group(
            conn,
            group_id,
            &events::updated(Some(channel_id), Some(group_id), UpdateReason::Renamed, None),
        )?;
        Ok(ChannelDto { id: channel_id, name, last_seq: channel.last_seq })
    })
}

pub fn delete_channel(
    conn: &mut Outbox<'_>,
    me: UserId,
    group_id: GroupId,
    channel_id: ConversationId,
) -> Result<(), Error> {
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Admin, "delete channels")?;
        channel_of(conn, group_id, channel_id)?;
        if Conversation::channels_of(conn, group_id)?.len() <= 1 {
            return Err(Error::conflict(ErrorCode::LastChannel, "a group keeps at least one channel"));
        }
        let uploads = Message::uploads_in(conn, &[channel_id])?;
        Conversation::delete(conn, channel_id)?;
        Attachment::trash_unreferenced(conn, &uploads)?;
        events::to_group(
            conn,
            group_id,
            &events::updated(Some(channel_id), Some(group_id), UpdateReason::Deleted, None),
        )?;
        Ok(())
    })
}
