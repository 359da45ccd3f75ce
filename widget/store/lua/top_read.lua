-- top.lua's page, for when Redis is out of memory and cannot keep the sum: the same
-- answer, summed anew (ZUNION, read-only) for each page.
--
-- KEYS the day rankings, ARGV[1] the first rank, ARGV[2] how many at most.
-- Returns {0, {id, minus the change, id, ...}}: 0 milliseconds, as no sum is kept.
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
local kept = 0
return {kept, page}
