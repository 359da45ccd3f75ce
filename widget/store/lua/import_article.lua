-- Set one article's imported counts (the counts it had in another tool, no readers behind
-- them), replacing what an earlier import set: store/imports.py.
--
-- The article's "c:<reaction>" counts are its live counts plus its imported ones, so every
-- read (the counts GET, the lists, the export, the indexes, the site's totals) sees both
-- without adding anything; "i:<reaction>" keeps the imported part, so that importing again
-- moves the counts by the difference only, and a reader's reaction adds on top.
--
-- KEYS[1]  the article hash, KEYS[2] its history hash (one hash tag)
-- ARGV[1]  article id   ARGV[2] title or ""   ARGV[3] url or ""
-- ARGV[4]  now, ISO 8601 UTC   ARGV[5] today, yyyymmdd
-- ARGV[6..] reaction, imported count, reaction, imported count, ...
--
-- Returns {state, title stored (0/1), change of ARGV[6], change of ARGV[8], ...}: state
-- CREATED for an article this call made, EXISTED for one that was there, NOT_MADE for none
-- made (a new article whose imported counts are all 0: an article exists only from a count). A new
-- article's first and last reaction times are now; an existing one keeps its own. A
-- title and url are stored where the article has none.
-- The states, by name: store/imports.py's ImportState names the same numbers.
local CREATED, EXISTED, NOT_MADE = 1, 0, -1
local article, history = KEYS[1], KEYS[2]
local day = ARGV[5]
local exists = redis.call('HGET', article, 'id')
if not exists then
  local any = false
  for i = 7, #ARGV, 2 do
    if tonumber(ARGV[i]) ~= 0 then any = true end
  end
  if not any then return {NOT_MADE, 0} end
  redis.call('HSET', article, 'id', ARGV[1], 'first', ARGV[4], 'last', ARGV[4])
end
local titled = 0
if ARGV[2] ~= '' and not redis.call('HGET', article, 'title') then
  redis.call('HSET', article, 'title', ARGV[2])
  titled = 1
end
if ARGV[3] ~= '' and not redis.call('HGET', article, 'url') then
  redis.call('HSET', article, 'url', ARGV[3])
end
local result = {exists and EXISTED or CREATED, titled}
for i = 6, #ARGV, 2 do
  local reaction, count = ARGV[i], tonumber(ARGV[i + 1])
  local before = tonumber(redis.call('HGET', article, 'i:' .. reaction) or '0')
  local change = count - before
  if change ~= 0 then
    redis.call('HINCRBY', article, 'c:' .. reaction, change)
    redis.call('HINCRBY', history, day .. ':' .. reaction, change)
  end
  if count == 0 then
    redis.call('HDEL', article, 'i:' .. reaction)
  else
    redis.call('HSET', article, 'i:' .. reaction, count)
  end
  result[#result + 1] = change
end
return result
