-- uses: move
-- One step of a move on a Redis Cluster, in one slot (lib/move.lua; store/moves.py runs
-- them in order). ARGV[1] names the step:
--
-- "read"    KEYS from's four keys; ARGV[2] to's id, ARGV[3] a new op. Marks `from` as
--           moving to `to` (its reactions answer MOVING and are sent again) and returns
--           {"ok", cjson of what it holds (its op included)} or {why}
-- "unmark"  KEYS[1] from's article hash; ARGV[2] to's id: the move is given up
-- "merge"   KEYS to's five keys; ARGV[2] to's id, ARGV[3] day, ARGV[4] what "read" returned
--           Returns {"ok", cjson of move_merge's answer} or {"conflict"}
-- "finish"  KEYS from's four keys; ARGV[2] to's id: `from` becomes its alias
-- "realias" KEYS[1] an alias's article hash; ARGV[2] from's id, ARGV[3] to's id
-- "site"    KEYS move_site's Ks; ARGV[2] cjson of the merge's answer, ARGV[3] from's hash,
--           ARGV[4] to's hash, ARGV[5] day, ARGV[6] to's member by id, ARGV[7] the
--           marker's seconds, ARGV[8..] the site's reactions in order
local step = ARGV[1]
if step == 'read' then
  local data, why = move_read(KEYS, ARGV[2], true, ARGV[3])
  if not data then return {why} end
  return {'ok', cjson.encode(data)}
elseif step == 'unmark' then
  if redis.call('HGET', KEYS[1], 'moving') == ARGV[2] then
    redis.call('HDEL', KEYS[1], 'moving', 'moving-op')
  end
  return 1
elseif step == 'merge' then
  local merged = move_merge(KEYS, cjson.decode(ARGV[4]), ARGV[2], ARGV[3])
  if merged.error then return {merged.error} end
  return {'ok', cjson.encode(merged)}
elseif step == 'finish' then
  local moving, alias = unpack(redis.call('HMGET', KEYS[1], 'moving', 'alias'))
  if alias == ARGV[2] then return 1 end  -- sent again: done already
  if moving ~= ARGV[2] then return redis.error_reply('not moving to ' .. ARGV[2]) end
  move_finish(KEYS, ARGV[2])
  return 1
elseif step == 'realias' then
  if redis.call('HGET', KEYS[1], 'alias') == ARGV[2] then
    redis.call('HSET', KEYS[1], 'alias', ARGV[3])
  end
  return 1
elseif step == 'site' then
  return move_site(KEYS, {unpack(ARGV, 8)}, cjson.decode(ARGV[2]), ARGV[3], ARGV[4], ARGV[5],
                   ARGV[6], ARGV[7])
end
return redis.error_reply('unknown step ' .. tostring(step))
