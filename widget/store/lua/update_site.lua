-- uses: update_site
-- A cluster's second call of a reaction that changed counts: the site's indexes, in the
-- site's slot (lib/update_site.lua). KEYS and ARGV as update_site's, then one more key:
-- the site's moved hash. An article moved away since its reaction's write (a cluster's
-- move, store/moves.py) has left the indexes: this late update moves only the site's
-- counts and days (the move took the article's own counts off them), so no index lists
-- an alias again.
local moved = KEYS[#KEYS]
local K = {unpack(KEYS, 1, #KEYS - 1)}
if redis.call('HEXISTS', moved, ARGV[1]) == 0 then return update_site(K, ARGV) end
if not redis.call('SET', K[1], '1', 'NX', 'EX', ARGV[6]) then return 0 end
local old, new, day = ARGV[2], ARGV[3], ARGV[4]
if old ~= '' then
  redis.call('HINCRBY', K[3], old, -1)
  redis.call('HINCRBY', K[4], day .. ':' .. old, -1)
end
if new ~= '' then
  redis.call('HINCRBY', K[3], new, 1)
  redis.call('HINCRBY', K[4], day .. ':' .. new, 1)
end
return 1
