-- set_reaction(K, A, checks): set one reader's reaction to one article, atomically; write
-- nothing when nothing changes. A function, so that the scripts which call it (one per
-- Redis topology, ../reaction.lua and ../article.lua) decide what runs around it.
--
-- K[1]  article hash: counts ("c:<reaction>") and metadata
-- K[2]  readers hash: reader digest -> reaction key
-- K[3]  history hash: "<yyyymmdd>:<reaction>" -> net change that day
-- K[4]  today's cap hash: address (or network) hash -> new reactions admitted from it today
-- K[5]  this call's result, kept for a while under a random id of the call: redis-py
--       sends the script again after a timeout, and Redis may have run the first one
--       after all; the second run must answer what the first did (a second run would
--       find nothing to change and say so, and the site's indexes would miss the change)
-- All five share one hash tag: one slot of a cluster.
--
-- A[1]  reader digest
-- A[2]  new reaction key, or "" to withdraw
-- A[3]  day, yyyymmdd (UTC)
-- A[4]  now, ISO 8601 UTC
-- A[5]  article id
-- A[6]  title, or "": stored only when this call creates the article
-- A[7]  url, or "": stored only when this call creates the article
-- A[8]  the client's hashes, space-separated: its address's (privacy.py), then for an
--       IPv6 client its /48's; or "" for no cap
-- A[9]  the caps, space-separated, one for each hash of A[8]: new reactions it may add
--       to this article today
-- A[10] seconds the cap hash lives (it covers one day; a margin past it is harmless)
-- A[11] seconds the result under K[5] is kept
-- A[12] voting is closed on an article whose first reaction is at or before this time
--       (ISO 8601 UTC, which sorts as text), or "" when the site never closes by age
-- A[13] the site id, A[14] the totals that are milestones of the site's webhooks,
--       comma-separated ("" when it has none), A[15] the event stream's length cap
-- A[16..] the site's reaction keys (retired ones too), in order: the counts come back
--       in it. The reader's old reaction is read from K[2], not from this list.
--
-- checks.limited(): run once the call is known not to be a re-send; returns nil, or the
--       answer of a request that a rate limit refuses (nothing else is then done)
-- checks.admit(): run when the reaction would create the article; returns "" when the
--       article is admitted (what admission spends is spent then), a refusal's code, or
--       nil when this call may not decide (the caller admits, then calls again)
-- checks.plan: true to stop before writing anything, once every check passed: the call
--       answers {PLANNED, the reaction that the write would take off a count or ""} (a
--       cluster's first trip, store/writes.py; the write comes in a second call)
-- checks.event(data): run when the write made the total reach a milestone (A[14]) for
--       the first time ever: ``data``, the article.milestone event's JSON, also ends the
--       answer (a cluster queues it from Python; widget/webhooks)
--
-- Returns {result, the reaction taken off a count or "", new article (0/1),
--          count of A[16], count of A[17], ..., [the milestone event's JSON]}, result one of RESULT below; or
-- {ARTICLE_REFUSED, code}, {WINDOW_LIMITED, window, TTL, count} (checks.limited's) or
-- {PLANNED, old}. Only CHANGED wrote anything here (a refusal and a no-op write no key).

-- What a reaction's scripts answer first, by name: store/results.py's ReactionResult
-- names the same numbers (tests/test_store_results.py holds the two equal).
local RESULT = {
  CHANGED = 1,           -- written
  UNCHANGED = 0,         -- the same reaction again, or a withdrawal of none: nothing to write
  CAP_REACHED = -1,      -- the address's cap of new reactions to the article refused it
  NEEDS_ADMISSION = -2,  -- it would create the article, and admit() could not decide
  ARTICLE_CLOSED = -3,   -- voting on the article is closed
  ARTICLE_REFUSED = -4,  -- admit() refused the new article: {ARTICLE_REFUSED, code}
  WINDOW_LIMITED = -5,   -- a rate-limit window refused: {WINDOW_LIMITED, window, TTL, count}
  PLANNED = -6,          -- checks.plan: every check passed, nothing written: {PLANNED, old}
  MOVED = -7,            -- the id is an alias (store/moves.py): {MOVED, the id it names}
  MOVING = -8,           -- a cluster's move of the article is under way: {MOVING}, try again
}

local function set_reaction(K, A, checks)
  local FIRST_REACTION = 16
  local article, readers, history, cap_key, done = K[1], K[2], K[3], K[4], K[5]

  local earlier = redis.call('GET', done)
  if earlier then return cjson.decode(earlier) end
  -- A moved article (store/moves.py): its hash holds "alias" (or, while a cluster's move
  -- runs, "moving") and no counts; the caller sends the call again on the id it names.
  -- Before the windows, so that they are counted once, on the article the id resolves to.
  -- The one read of the article's fields, the closing's below included: no extra command.
  local first, closed, id, alias, moving =
    unpack(redis.call('HMGET', article, 'first', 'closed', 'id', 'alias', 'moving'))
  if alias then return {RESULT.MOVED, alias} end
  if moving then return {RESULT.MOVING} end
  local limited = checks.limited()
  if limited then return limited end

  local reader, new, day, now = A[1], A[2], A[3], A[4]
  local hashes, caps = {}, {}
  for hash in string.gmatch(A[8], '%S+') do hashes[#hashes + 1] = hash end
  for cap in string.gmatch(A[9], '%d+') do caps[#caps + 1] = tonumber(cap) end

  local old = redis.call('HGET', readers, reader)
  if not old then old = '' end

  local function counts(result)
    for i = FIRST_REACTION, #A do
      result[#result + 1] = tonumber(redis.call('HGET', article, 'c:' .. A[i]) or '0')
    end
    return result
  end

  -- Closed: by the publisher ("closed" 1), else by age unless the publisher reopened it
  -- ("closed" 0). Read here, in the one round trip of the write.
  if closed == '1' or (closed ~= '0' and first and A[12] ~= '' and first <= A[12]) then
    return counts({RESULT.ARTICLE_CLOSED, '', 0})
  end

  -- The same reaction again, or a withdraw by a reader who holds none: nothing to write.
  if old == new then return counts({RESULT.UNCHANGED, '', 0}) end

  -- One address can mint any number of reader tokens: a reader with no reaction here who
  -- adds one is a new vote, and each address gets a bounded number of those per article
  -- per day. Switching and withdrawing add no vote and are never refused. The check and
  -- the write are in this one script, so a refused request changes nothing at all.
  local capped = #hashes > 0 and old == ''
  if capped then
    for i, hash in ipairs(hashes) do
      if tonumber(redis.call('HGET', cap_key, hash) or '0') >= (caps[i] or 0) then
        return counts({RESULT.CAP_REACHED, '', 0})  -- not remembered: a second run refuses again, as it should
      end
    end
  end

  -- An article exists only from its first counted reaction; creating one is the site's
  -- decision (its article ceiling, the address's budget, a signature). Last of the
  -- checks, so that what an admission spends is spent only for a write that happens.
  local fresh = 0
  if not id then
    local refusal = checks.admit()
    if refusal == nil then return counts({RESULT.NEEDS_ADMISSION, '', 0}) end
    if refusal ~= '' then return {RESULT.ARTICLE_REFUSED, refusal} end
    fresh = 1
  end

  -- The reader's old reaction is counted by construction; the guard keeps a damaged
  -- count from ever going below zero (and the history in step with it).
  local decremented = ''
  if old ~= '' and tonumber(redis.call('HGET', article, 'c:' .. old) or '0') > 0 then
    decremented = old
  end
  if checks.plan then return {RESULT.PLANNED, decremented} end

  if capped then
    for _, hash in ipairs(hashes) do redis.call('HINCRBY', cap_key, hash, 1) end
    redis.call('EXPIRE', cap_key, A[10])
  end
  if decremented ~= '' then
    redis.call('HINCRBY', article, 'c:' .. old, -1)
    redis.call('HINCRBY', history, day .. ':' .. old, -1)
  end
  if new ~= '' then
    redis.call('HSET', readers, reader, new)
    redis.call('HINCRBY', article, 'c:' .. new, 1)
    redis.call('HINCRBY', history, day .. ':' .. new, 1)
  else
    redis.call('HDEL', readers, reader)
  end
  if fresh == 1 then
    -- The reader's title and url are taken from this call only: afterwards they are the
    -- publisher's (PATCH .../article, article_meta.lua).
    redis.call('HSET', article, 'id', A[5], 'first', now)
    if A[6] ~= '' then redis.call('HSET', article, 'title', A[6]) end
    if A[7] ~= '' then redis.call('HSET', article, 'url', A[7]) end
  end
  redis.call('HSET', article, 'last', now)

  local result = counts({RESULT.CHANGED, decremented, fresh})
  -- A milestone is the total a new vote made (never a switch's or a withdrawal's), sent
  -- once per article ever: the highest one reached is kept in the field "m".
  if A[14] ~= '' and new ~= '' and decremented == '' then
    local total, by_key = 0, {}
    for i = FIRST_REACTION, #A do
      local n = result[i - FIRST_REACTION + 4]
      total, by_key[A[i]] = total + n, n
    end
    for m in string.gmatch(A[14], '%d+') do
      if tonumber(m) == total and total > tonumber(redis.call('HGET', article, 'm') or '0') then
        redis.call('HSET', article, 'm', total)
        local title, url = unpack(redis.call('HMGET', article, 'title', 'url'))
        local data = cjson.encode({site = A[13], article = A[5], title = title or cjson.null,
          url = url or cjson.null, counts = by_key, total = total, milestone = total})
        result[#result + 1] = data
        if checks.event then checks.event(data) end
      end
    end
  end
  -- Only a change needs remembering: a second run of a call that changed nothing (or was
  -- refused) answers the same as its first.
  redis.call('SET', done, cjson.encode(result), 'EX', A[11])
  return result
end
