-- The four steps of moving article `from` to `to` (store/moves.py). One Redis runs them in
-- one script (../move_article.lua); a cluster, where the two articles and the site may be
-- on three nodes, runs each in its own slot (../move_step.lua), in this order:
--
--   move_read   from's slot: check `from`, mark it "moving" (cluster), read all of it
--   move_merge  to's slot:   merge what was read into `to`, atomically against its readers
--   move_finish from's slot: `from` becomes an alias: one field, "alias" = to's id
--   move_site   the site's slot: the indexes and totals, by deltas that commute
--
-- Data travels between the steps as the table move_read makes (cjson on a cluster):
-- {id, meta = {title, url, closed, first, last}, counts = {reaction = n},
--  readers = {digest, reaction, ...}, history = {field, n, ...}, aliases = {id, ...}}.

-- Kf: from's article hash, readers, history, aliases list (one slot).
-- Returns the table above, or nil and why: "alias" (from is one), "unknown" (no counts),
-- "moving" (a move of it to another article is under way).
local function move_read(Kf, to_id, mark, op)
  local id, alias, moving = unpack(redis.call('HMGET', Kf[1], 'id', 'alias', 'moving'))
  if alias then return nil, 'alias' end
  if moving and moving ~= to_id then return nil, 'moving' end
  if not id then return nil, 'unknown' end
  local data = {id = id, meta = {}, counts = {}, imported = {}, op = op,
                readers = redis.call('HGETALL', Kf[2]),
                history = redis.call('HGETALL', Kf[3]),
                aliases = redis.call('LRANGE', Kf[4], 0, -1)}
  if mark then
    -- A move already under way to the same article is taken up again, with its own op.
    data.op = redis.call('HGET', Kf[1], 'moving-op') or op
    redis.call('HSET', Kf[1], 'moving', to_id, 'moving-op', data.op)
  end
  local fields = redis.call('HGETALL', Kf[1])
  for i = 1, #fields, 2 do
    local name, value = fields[i], fields[i + 1]
    if string.sub(name, 1, 2) == 'c:' then
      data.counts[string.sub(name, 3)] = tonumber(value)
    elseif string.sub(name, 1, 2) == 'i:' then
      data.imported[string.sub(name, 3)] = tonumber(value)
    elseif name == 'title' or name == 'url' or name == 'closed' or name == 'first'
        or name == 'last' or name == 'm' then
      data.meta[name] = value
    end
  end
  return data
end

-- Kt: to's article hash, readers, history, aliases list, and this move's result (its op):
-- a step sent again answers what it did the first time.
-- Each reader counts once: a reader who holds a reaction on both keeps the one on `to`,
-- and the reaction on `from` is dropped, from its count and (on `day`) from the history.
-- Returns {fresh (1: `to` had no counts), took_title (1: `to` took from's title),
-- before = to's counts before, after = its counts after, correction = {reaction = the
-- readers dropped, negative}, source = from's counts}, or {error = "conflict"} when `to` is an alias or moving.
local function move_merge(Kt, data, to_id, day)
  local earlier = redis.call('GET', Kt[5])
  if earlier then return cjson.decode(earlier) end
  local id, alias, moving = unpack(redis.call('HMGET', Kt[1], 'id', 'alias', 'moving'))
  if alias or moving then return {error = 'conflict'} end
  local before, after, correction, dropped = {}, {}, {}, {}
  local fields = redis.call('HGETALL', Kt[1])
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 2) == 'c:' then
      local reaction = string.sub(fields[i], 3)
      before[reaction] = tonumber(fields[i + 1])
      after[reaction] = before[reaction]
    end
  end
  for i = 1, #data.readers, 2 do
    if redis.call('HSETNX', Kt[2], data.readers[i], data.readers[i + 1]) == 0 then
      local reaction = data.readers[i + 1]
      dropped[reaction] = (dropped[reaction] or 0) + 1
    end
  end
  for reaction, n in pairs(data.counts) do
    local add = math.max(n - (dropped[reaction] or 0), 0)
    if add ~= n then correction[reaction] = add - n end
    if add ~= 0 then
      after[reaction] = (after[reaction] or 0) + add
      redis.call('HINCRBY', Kt[1], 'c:' .. reaction, add)
    end
  end
  -- Imported counts (no readers behind them, store/imports.py) are part of the counts
  -- just moved; their record moves too, so that an import into `to` replaces both.
  for reaction, n in pairs(data.imported or {}) do
    if n ~= 0 then redis.call('HINCRBY', Kt[1], 'i:' .. reaction, n) end
  end
  for i = 1, #data.history, 2 do
    redis.call('HINCRBY', Kt[3], data.history[i], data.history[i + 1])
  end
  for reaction, n in pairs(correction) do
    redis.call('HINCRBY', Kt[3], day .. ':' .. reaction, n)
  end
  local meta, took_title = data.meta, 0
  local has = {}
  local names = {'title', 'url', 'closed', 'first', 'last'}
  local values = redis.call('HMGET', Kt[1], unpack(names))
  for i, name in ipairs(names) do has[name] = values[i] end
  if not id then redis.call('HSET', Kt[1], 'id', to_id) end
  for _, name in ipairs({'title', 'url', 'closed'}) do
    if meta[name] and not has[name] then
      redis.call('HSET', Kt[1], name, meta[name])
      if name == 'title' then took_title = 1 end
    end
  end
  if meta.first and (not has.first or meta.first < has.first) then
    redis.call('HSET', Kt[1], 'first', meta.first)
  end
  if meta.last and (not has.last or meta.last > has.last) then
    redis.call('HSET', Kt[1], 'last', meta.last)
  end
  -- The highest webhook milestone either reached: a milestone is sent once per article,
  -- ever, and a move sends none (widget/webhooks).
  local reached = tonumber(redis.call('HGET', Kt[1], 'm') or '0')
  if meta.m and tonumber(meta.m) > reached then redis.call('HSET', Kt[1], 'm', meta.m) end
  for _, moved in ipairs(data.aliases) do redis.call('RPUSH', Kt[4], moved) end
  redis.call('RPUSH', Kt[4], data.id)
  local result = {fresh = id and 0 or 1, took_title = took_title, before = before,
                  after = after, correction = correction, source = data.counts}
  redis.call('SET', Kt[5], cjson.encode(result), 'EX', 86400)
  return result
end

-- Kf as move_read's. `from` keeps one field: "alias", the id it now names.
local function move_finish(Kf, to_id)
  redis.call('DEL', Kf[1], Kf[2], Kf[3], Kf[4])
  redis.call('HSET', Kf[1], 'alias', to_id)
end

-- Ks: total, recent, counts, days, titles, title-of, moved, this move's marker (once),
-- then by:<reaction> of each of `reactions` (the site's keys, in order). All one slot.
-- `merged` is move_merge's answer; `id_member` to's member of the title index by its id.
-- `from` leaves every index; `to` moves by deltas (its own reactions may race on a
-- cluster); the site's counts and days take the merge's correction, on `day`.
local function move_site(Ks, reactions, merged, ah_from, ah_to, day, id_member, ttl)
  if not redis.call('SET', Ks[8], '1', 'NX', 'EX', ttl) then return 0 end
  local total, recent, counts, days, titles, title_of, moved =
    Ks[1], Ks[2], Ks[3], Ks[4], Ks[5], Ks[6], Ks[7]
  local last = redis.call('ZSCORE', recent, ah_from)
  local zsets = {total}
  for i = 1, #reactions do zsets[#zsets + 1] = Ks[8 + i] end
  for _, zset in ipairs({total, recent, unpack(zsets, 2)}) do
    redis.call('ZREM', zset, ah_from)
  end
  if merged.fresh == 1 then
    for _, zset in ipairs(zsets) do redis.call('ZADD', zset, 'NX', 0, ah_to) end
  end
  local sum = 0
  for i, reaction in ipairs(reactions) do
    local delta = (merged.after[reaction] or 0) - (merged.before[reaction] or 0)
    sum = sum + delta
    if delta ~= 0 then redis.call('ZINCRBY', Ks[8 + i], delta, ah_to) end
  end
  if sum ~= 0 then redis.call('ZINCRBY', total, sum, ah_to) end
  if last then redis.call('ZADD', recent, 'GT', last, ah_to) end
  for reaction, n in pairs(merged.correction) do
    redis.call('HINCRBY', counts, reaction, n)
    redis.call('HINCRBY', days, day .. ':' .. reaction, n)
  end
  local from_member = redis.call('HGET', title_of, ah_from)
  if from_member then
    redis.call('ZREM', titles, from_member)
    redis.call('HDEL', title_of, ah_from)
  end
  local member = nil
  if merged.took_title == 1 and from_member then
    member = string.sub(from_member, 1, #from_member - #ah_from) .. ah_to
  elseif merged.fresh == 1 then
    member = id_member
  end
  if member then
    local current = redis.call('HGET', title_of, ah_to)
    if current then redis.call('ZREM', titles, current) end
    redis.call('ZADD', titles, 0, member)
    redis.call('HSET', title_of, ah_to, member)
  end
  redis.call('HSET', moved, ah_from, ah_to)
  return 1
end
