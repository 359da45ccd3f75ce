-- Return a page of a site's top list over some days: the sum of their day rankings.
--
-- KEYS    the day rankings (keys.day_rank_key) of one reaction or of the total, a day each
-- ARGV[1] the first rank to return (from 0), ARGV[2] how many at most
--
-- A ranking is scored minus each article's net change that day (lib/update_site.lua's
-- rank_day), so ZUNION's sum is minus the net change over the days, and its order (score
-- up, then member up) is the list's: the most first, ties by id. Only entries whose net
-- change is above 0 come back, as {id, minus the change, id, minus the change, ...}.
-- It writes nothing, so it answers when Redis is out of memory too.
local args = {#KEYS}
for i = 1, #KEYS do args[i + 1] = KEYS[i] end
args[#args + 1] = 'WITHSCORES'
local union = redis.call('ZUNION', unpack(args))
local first, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local page = {}
for i = 2 * first + 1, math.min(#union, 2 * (first + count)), 2 do
  if tonumber(union[i + 1]) >= 0 then break end
  page[#page + 1] = union[i]
  page[#page + 1] = union[i + 1]
end
return page
