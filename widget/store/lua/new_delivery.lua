-- A webhook delivery, made once (store/events.py): a worker that reads an event again
-- (its first reader was killed before acknowledging it) finds the delivery made and
-- leaves it as it is, so the receiver gets the same webhook-id.
--
-- KEYS[1]  the delivery's hash, KEYS[2] the due deliveries (zset), KEYS[3] its webhook's log
-- ARGV[1]  the delivery id, ARGV[2] now (epoch seconds), ARGV[3] seconds a record is kept
-- ARGV[4..] the delivery's fields and values
--
-- Returns {1 if made now else 0, the log's size}.
local made = redis.call('EXISTS', KEYS[1]) == 0
if made then
  redis.call('HSET', KEYS[1], unpack(ARGV, 4))
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
return {made and 1 or 0, redis.call('ZCARD', KEYS[3])}
