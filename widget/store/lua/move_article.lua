-- uses: move
-- Move article `from` to `to` on one Redis: every step of lib/move.lua in one script, so
-- that no reaction can come between them (store/moves.py).
--
-- KEYS[1..4]     from's article hash, readers, history, aliases list
-- KEYS[5..9]     to's article hash, readers, history, aliases list, this move's result
-- KEYS[10..17+r] move_site's Ks: the site's total, recent, counts, days, titles,
--                title-of, moved, this move's marker, then by:<reaction> for r reactions
-- KEYS[18+r..]   the article hash of each alias of `from`, in its aliases list's order
--
-- ARGV[1] to's id   ARGV[2] day (yyyymmdd)   ARGV[3] to's title member by its id
-- ARGV[4] seconds the marker lives   ARGV[5] from's hash   ARGV[6] to's hash
-- ARGV[7] this move's op   ARGV[8] r   ARGV[9..8+r] the site's reactions, in order
-- ARGV[9+r..] the ids of from's aliases as the caller read them
--
-- Returns {"ok", cjson of move_merge's answer}, or {why}: "alias", "unknown", "conflict"
-- (`to` is an alias or moving), "retry" (from's aliases changed since the caller read them).
local to_id, day, id_member, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- Sent again by redis-py after a timeout, when the first run did move: answer as it did.
local earlier = redis.call('GET', KEYS[9])
if earlier then return {'ok', earlier} end
local r = tonumber(ARGV[8])
local reactions = {unpack(ARGV, 9, 8 + r)}
local data, why = move_read({unpack(KEYS, 1, 4)}, to_id, false, ARGV[7])
if not data then return {why} end
local expected = {unpack(ARGV, 9 + r)}
if #expected ~= #data.aliases then return {'retry'} end
for i, moved in ipairs(data.aliases) do
  if expected[i] ~= moved then return {'retry'} end
end
local merged = move_merge({unpack(KEYS, 5, 9)}, data, to_id, day)
if merged.error then return {merged.error} end
move_finish({unpack(KEYS, 1, 4)}, to_id)
for i = 18 + r, #KEYS do redis.call('HSET', KEYS[i], 'alias', to_id) end
move_site({unpack(KEYS, 10, 17 + r)}, reactions, merged, ARGV[5], ARGV[6], day, id_member, ttl)
return {'ok', cjson.encode(merged)}
