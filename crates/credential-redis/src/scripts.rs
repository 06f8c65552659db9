//! The Lua scripts: every write and every read of more than one key runs
//! as one script, which Redis executes atomically.
//!
//! Times cross into Lua as two integers, whole Unix seconds (floored) and
//! nanoseconds within the second, because Lua numbers are doubles: both
//! halves stay exact where a count of nanoseconds since 1970 would not.

use std::sync::LazyLock;

use redis::Script;

/// Lua functions shared by the scripts.
macro_rules! prelude {
    () => {
        r"
-- A stored number; anything else fails the script with a CORRUPT error.
local function num(v)
  local n = tonumber(v)
  if not n then error({err = 'CORRUPT a stored number is not a number'}) end
  return n
end

-- Whether the instant (as, an) is before (bs, bn).
local function before(as, an, bs, bn)
  as, an, bs, bn = num(as), num(an), num(bs), num(bn)
  return as < bs or (as == bs and an < bn)
end

-- The Unix second at which an entry kept until second `s` may expire:
-- strictly after `s`, plus the margin.
local function expiry(s, margin)
  local at = tonumber(s) + 1 + tonumber(margin)
  if at < 1 then at = 1 end
  return string.format('%.0f', at)
end

-- Writes a key's credits: 'keep' leaves them, 'del' marks the key
-- unmetered, 'set'
-- replaces them (with the instant the next refill is due, if any).
local function put_credits(key, mode, remaining, refill, due_s, due_n)
  if mode == 'set' then
    redis.call('DEL', key)
    redis.call('HSET', key, 'remaining', remaining, 'refill', refill)
    if due_s ~= '' then
      redis.call('HSET', key, 'due_s', due_s, 'due_n', due_n)
    end
  elseif mode == 'del' then
    -- Unmetered: an empty count, never a missing hash, so that a hash
    -- evicted or lost is never taken for an unmetered key.
    redis.call('DEL', key)
    redis.call('HSET', key, 'remaining', '', 'refill', '')
  end
end
"
    };
}

/// KEYS: record, credits. Returns nil, or the record's JSON with its
/// credits' `remaining` and `refill` fields. Both keys are read either
/// way, so that an unknown id costs what a known one does.
pub(crate) static GET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local record = redis.call('GET', KEYS[1])
local credits = redis.call('HMGET', KEYS[2], 'remaining', 'refill')
if not record then return false end
return {record, credits[1], credits[2]}
",
    )
});

/// KEYS: the subject's index. ARGV: record key prefix, credits key prefix.
/// Returns the subject's records as [`GET`] does, oldest first.
pub(crate) static LIST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local members = redis.call('ZRANGE', KEYS[1], '-', '+', 'BYLEX')
local found = {}
for _, member in ipairs(members) do
  local id = string.match(member, '[^:]+$')
  local record = redis.call('GET', ARGV[1] .. id)
  if record then
    local credits = redis.call('HMGET', ARGV[2] .. id, 'remaining', 'refill')
    found[#found + 1] = {record, credits[1], credits[2]}
  end
end
return found
",
    )
});

/// KEYS: record, credits, subject index. ARGV: JSON, index member,
/// channel, id, then the five credit arguments. Returns 1, or 0 when the
/// id exists.
pub(crate) static INSERT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
put_credits(KEYS[2], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
"
    ))
});

/// Compare-and-set of a record. KEYS: record, credits. ARGV: the JSON
/// read, the JSON to write, channel, id to publish (empty: none), then the
/// five credit arguments. Returns `{'ok', remaining, refill}` with the
/// credits as written, `{'missing'}` or `{'changed'}`.
pub(crate) static REPLACE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local current = redis.call('GET', KEYS[1])
if not current then return {'missing'} end
if current ~= ARGV[1] then return {'changed'} end
redis.call('SET', KEYS[1], ARGV[2])
put_credits(KEYS[2], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
local credits = redis.call('HMGET', KEYS[2], 'remaining', 'refill')
return {'ok', credits[1], credits[2]}
"
    ))
});

/// KEYS: old record, new record, new credits, new subject index. ARGV: the
/// old JSON read, the old JSON to write, a refusal (empty: none), the new
/// JSON, the new index member, channel, old id, new id, then the five
/// credit arguments of the new key. Returns `ok`, `exists`, `missing`,
/// `changed` or the refusal.
pub(crate) static ROLL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
if redis.call('EXISTS', KEYS[2]) == 1 then return 'exists' end
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
if current ~= ARGV[1] then return 'changed' end
if ARGV[3] ~= '' then return ARGV[3] end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[4], 0, ARGV[5])
put_credits(KEYS[3], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13])
redis.call('PUBLISH', ARGV[6], ARGV[7])
redis.call('PUBLISH', ARGV[6], ARGV[8])
return 'ok'
"
    ))
});

/// Spends one credit when no refill is due. KEYS: record, credits. ARGV:
/// now (seconds, nanoseconds). Returns `{'missing'}`, `{'unmetered'}`,
/// `{'spent', remaining}`, `{'exhausted', refill}`, or
/// `{'defer', remaining, refill}` when a refill is due (or the count is
/// too large for Redis integers): the caller then applies the refill rule
/// and writes through [`SET_CREDITS`].
pub(crate) static SPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local c = redis.call('HMGET', KEYS[2], 'remaining', 'refill', 'due_s', 'due_n')
local remaining = c[1]
if not remaining then error({err = 'CORRUPT the credits of a key are missing'}) end
if remaining == '' then return {'unmetered'} end
if c[3] and not before(ARGV[1], ARGV[2], c[3], c[4]) then
  return {'defer', remaining, c[2]}
end
if remaining == '0' then return {'exhausted', c[2]} end
if string.len(remaining) > 18 or not string.find(remaining, '^%d+$') then
  return {'defer', remaining, c[2]}
end
redis.call('HINCRBY', KEYS[2], 'remaining', -1)
return {'spent', redis.call('HGET', KEYS[2], 'remaining')}
"
    ))
});

/// Compare-and-set of a key's credits. KEYS: record, credits. ARGV: the
/// `remaining` and `refill` read, then the four fields to write. Returns
/// `ok`, `missing` or `changed`.
pub(crate) static SET_CREDITS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
local c = redis.call('HMGET', KEYS[2], 'remaining', 'refill')
if c[1] ~= ARGV[1] or c[2] ~= ARGV[2] then return 'changed' end
put_credits(KEYS[2], 'set', ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return 'ok'
"
    ))
});

/// KEYS: entry, index. ARGV: until (seconds, nanoseconds), index member,
/// expiry margin in seconds. Keeps the later `until`.
pub(crate) static REVOKE_TOKEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local s, n = ARGV[1], ARGV[2]
local current = redis.call('HMGET', KEYS[1], 'u_s', 'u_n')
if current[1] and before(s, n, current[1], current[2]) then
  s, n = current[1], current[2]
end
redis.call('HSET', KEYS[1], 'u_s', s, 'u_n', n)
redis.call('ZADD', KEYS[2], s, ARGV[3])
redis.call('EXPIREAT', KEYS[1], expiry(s, ARGV[4]))
return 1
"
    ))
});

/// KEYS: entry, index. ARGV: issued up to (seconds, nanoseconds), until
/// (seconds, nanoseconds), index member, expiry margin in seconds. Keeps
/// the later of each time.
pub(crate) static REVOKE_CLIENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local is, inn, us, un = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local c = redis.call('HMGET', KEYS[1], 'i_s', 'i_n', 'u_s', 'u_n')
if c[1] and before(is, inn, c[1], c[2]) then is, inn = c[1], c[2] end
if c[3] and before(us, un, c[3], c[4]) then us, un = c[3], c[4] end
redis.call('HSET', KEYS[1], 'i_s', is, 'i_n', inn, 'u_s', us, 'u_n', un)
redis.call('ZADD', KEYS[2], us, ARGV[5])
redis.call('EXPIREAT', KEYS[1], expiry(us, ARGV[6]))
return 1
"
    ))
});

/// KEYS: token entry, client entry. ARGV: whether to look at each (`1`).
/// Returns `{1}` for a revoked token id, `{0, i_s, i_n}` with the client
/// entry's `issued_up_to`, or `{0}`.
pub(crate) static IS_REVOKED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return {1} end
if ARGV[2] == '1' then
  local c = redis.call('HMGET', KEYS[2], 'i_s', 'i_n')
  if c[1] then return {0, c[1], c[2]} end
end
return {0}
",
    )
});

/// KEYS: index. ARGV: now (seconds, nanoseconds), entry key prefix, batch
/// size. Drops up to a batch of entries whose `until` is at or before
/// now. Returns `{dropped, more}`; `more` is 1 when the batch was full.
///
/// An index score is the entry's `until` in whole seconds: a score below
/// now's second is certainly due; a score equal to it is compared to the
/// nanosecond. Entries are counted as they leave the index, so an entry
/// Redis has already expired on its own still counts, as in the memory
/// store.
pub(crate) static PURGE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local batch = tonumber(ARGV[4])
local removed = 0
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, batch)
for _, member in ipairs(due) do
  redis.call('DEL', ARGV[3] .. member)
  removed = removed + redis.call('ZREM', KEYS[1], member)
end
if #due >= batch then return {removed, 1} end
local edge = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
for _, member in ipairs(edge) do
  local key = ARGV[3] .. member
  local u = redis.call('HMGET', key, 'u_s', 'u_n')
  if not u[1] then
    redis.call('ZREM', KEYS[1], member)
  elseif not before(ARGV[1], ARGV[2], u[1], u[2]) then
    redis.call('DEL', key)
    removed = removed + redis.call('ZREM', KEYS[1], member)
  end
end
return {removed, 0}
",
    ))
});

/// One GCRA step, as `RateLimit::gcra`. KEYS: the limited key's TAT.
/// ARGV: now, emission interval, period (each seconds, nanoseconds).
/// Returns `{1}` when allowed (the new TAT stored), or
/// `{0, seconds, nanoseconds}`: how long to wait.
pub(crate) static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        prelude!(),
        r"
local billion = 1000000000
local now_s, now_n = tonumber(ARGV[1]), tonumber(ARGV[2])
local ts, tn = now_s, now_n
local stored = redis.call('HMGET', KEYS[1], 's', 'n')
if stored[1] then
  local ss, sn = num(stored[1]), num(stored[2])
  if ss > ts or (ss == ts and sn > tn) then ts, tn = ss, sn end
end
local xs, xn = ts + tonumber(ARGV[3]), tn + tonumber(ARGV[4])
if xn >= billion then xs, xn = xs + 1, xn - billion end
local as, an = xs - tonumber(ARGV[5]), xn - tonumber(ARGV[6])
if an < 0 then as, an = as - 1, an + billion end
if now_s < as or (now_s == as and now_n < an) then
  local rs, rn = as - now_s, an - now_n
  if rn < 0 then rs, rn = rs - 1, rn + billion end
  return {0, rs, rn}
end
redis.call('HSET', KEYS[1], 's', string.format('%.0f', xs), 'n', string.format('%.0f', xn))
local ttl = (xs - now_s) * 1000 + math.ceil((xn - now_n) / 1000000) + 1000
if ttl < 1000 then ttl = 1000 end
if ttl > 1e15 then ttl = 1e15 end
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', ttl))
return {1}
"
    ))
});
