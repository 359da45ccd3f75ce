-- Claim due webhook deliveries for one worker (store/events.py): each one's score (when
-- it is due) moves to the end of the claim, atomically, so no other worker takes it
-- meanwhile; a worker killed mid-attempt leaves it due again when the claim ends.
--
-- KEYS[1]  the due deliveries (zset)
-- ARGV[1]  now, ARGV[2] the end of the claim (epoch seconds), ARGV[3] how many at most
--
-- Returns the claimed delivery ids.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return due
