-- Set one reader's reaction to one article, atomically.
--
-- KEYS[1]  article hash: counts ("c:<reaction>") and metadata
-- KEYS[2]  readers hash: reader digest -> reaction key
-- KEYS[3]  history hash: "<yyyymmdd>:<reaction>" -> net change that day
-- All three share one hash tag, so this script runs on one slot of a cluster.
--
-- ARGV[1]  reader digest
-- ARGV[2]  new reaction key, or "" to withdraw
-- ARGV[3]  day, yyyymmdd (UTC)
-- ARGV[4]  now, ISO 8601 UTC
-- ARGV[5]  article id
-- ARGV[6]  title, or "" to keep the stored one
-- ARGV[7]  url, or "" to keep the stored one
-- ARGV[8..] the site's reaction keys, in order: the counts come back in it
--
-- Returns {changed (0/1), the reaction taken off a count or "", new article (0/1),
--          count of ARGV[8], count of ARGV[9], ...}.
local article, readers, history = KEYS[1], KEYS[2], KEYS[3]
local reader, new, day, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local old = redis.call('HGET', readers, reader)
if not old then old = '' end

local changed, decremented, fresh = 0, '', 0
if old ~= new then
  changed = 1
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
  fresh = redis.call('HSETNX', article, 'first', now)
  redis.call('HSET', article, 'last', now)
end

redis.call('HSETNX', article, 'id', ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', article, 'title', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', article, 'url', ARGV[7]) end

local result = {changed, decremented, fresh}
for i = 8, #ARGV do
  result[#result + 1] = tonumber(redis.call('HGET', article, 'c:' .. ARGV[i]) or '0')
end
return result
