-- Set one reader's reaction to one article, atomically; write nothing when nothing changes.
--
-- KEYS[1]  article hash: counts ("c:<reaction>") and metadata
-- KEYS[2]  readers hash: reader digest -> reaction key
-- KEYS[3]  history hash: "<yyyymmdd>:<reaction>" -> net change that day
-- KEYS[4]  today's cap hash: address hash -> new reactions admitted from it today
-- KEYS[5]  this call's result, kept for a while under a random id of the call: redis-py
--          sends the script again after a timeout, and Redis may have run the first one
--          after all; the second run must answer what the first did (a second run would
--          find nothing to change and say so, and the site's indexes would miss the change)
-- All five share one hash tag, so this script runs on one slot of a cluster.
--
-- ARGV[1]  reader digest
-- ARGV[2]  new reaction key, or "" to withdraw
-- ARGV[3]  day, yyyymmdd (UTC)
-- ARGV[4]  now, ISO 8601 UTC
-- ARGV[5]  article id
-- ARGV[6]  title, or "": stored only when this call creates the article
-- ARGV[7]  url, or "": stored only when this call creates the article
-- ARGV[8]  the client's address hash (privacy.py), or "" for no cap
-- ARGV[9]  the cap: new reactions one address may add to this article today
-- ARGV[10] seconds the cap hash lives (it covers one day; a margin past it is harmless)
-- ARGV[11] seconds the result under KEYS[5] is kept
-- ARGV[12] "1": the site admitted a new article for this call (admit_article.lua)
-- ARGV[13] voting is closed on an article whose first reaction is at or before this time
--          (ISO 8601 UTC, which sorts as text), or "" when the site never closes by age
-- ARGV[14..] the site's reaction keys (retired ones too), in order: the counts come back
--          in it. The reader's old reaction is read from KEYS[2], not from this list.
--
-- Returns {changed, the reaction taken off a count or "", new article (0/1),
--          count of ARGV[14], count of ARGV[15], ...}; changed is 1 or 0, -1 when the cap
-- refused the reaction, -2 when the article does not exist and the call was not admitted
-- to create it, -3 when voting on the article is closed. Only changed = 1 wrote anything
-- (a refusal and a no-op write no key).
local FIRST_REACTION = 14
local article, readers, history, cap_key, done = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]

local earlier = redis.call('GET', done)
if earlier then return cjson.decode(earlier) end

local reader, new, day, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local address, cap = ARGV[8], tonumber(ARGV[9])

local old = redis.call('HGET', readers, reader)
if not old then old = '' end

local function counts(result)
  for i = FIRST_REACTION, #ARGV do
    result[#result + 1] = tonumber(redis.call('HGET', article, 'c:' .. ARGV[i]) or '0')
  end
  return result
end

-- Closed: by the publisher ("closed" 1), else by age unless the publisher reopened it
-- ("closed" 0). Read here, in the one round trip of the write.
local first, closed, id = unpack(redis.call('HMGET', article, 'first', 'closed', 'id'))
if closed == '1' or (closed ~= '0' and first and ARGV[13] ~= '' and first <= ARGV[13]) then
  return counts({-3, '', 0})
end

-- The same reaction again, or a withdraw by a reader who holds none: nothing to write.
if old == new then return counts({0, '', 0}) end

-- An article exists only from its first counted reaction; creating one is the site's
-- decision (its article ceiling, the address's budget, a signature), made by the caller
-- before it runs this script again with ARGV[12] = "1".
local fresh = 0
if not id then
  if ARGV[12] ~= '1' then return counts({-2, '', 0}) end
  fresh = 1
end

-- One address can mint any number of reader tokens: a reader with no reaction here who
-- adds one is a new vote, and each address gets a bounded number of those per article
-- per day. Switching and withdrawing add no vote and are never refused. The check and
-- the write are in this one script, so a refused request changes nothing at all.
if address ~= '' and old == '' then
  local admitted = tonumber(redis.call('HGET', cap_key, address) or '0')
  if admitted >= cap then
    return counts({-1, '', 0})  -- not remembered: a second run refuses again, as it should
  end
  redis.call('HINCRBY', cap_key, address, 1)
  redis.call('EXPIRE', cap_key, ARGV[10])
end

local decremented = ''
if old ~= '' then
  -- The reader's old reaction is counted by construction; the guard keeps a
  -- damaged count from ever going below zero (and the history in step with it).
  local current = tonumber(redis.call('HGET', article, 'c:' .. old) or '0')
  if current > 0 then
    redis.call('HINCRBY', article, 'c:' .. old, -1)
    redis.call('HINCRBY', history, day .. ':' .. old, -1)
    decremented = old
  end
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
  redis.call('HSET', article, 'id', ARGV[5], 'first', now)
  if ARGV[6] ~= '' then redis.call('HSET', article, 'title', ARGV[6]) end
  if ARGV[7] ~= '' then redis.call('HSET', article, 'url', ARGV[7]) end
end
redis.call('HSET', article, 'last', now)

local result = counts({1, decremented, fresh})
-- Only a change needs remembering: a second run of a call that changed nothing (or was
-- refused) answers the same as its first.
redis.call('SET', done, cjson.encode(result), 'EX', ARGV[11])
return result
