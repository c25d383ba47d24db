/**
 * The Lua the Redis store runs: one script for an attempt's way in, one for its way out, each a
 * single round trip covering the breaker and the gate of one policy, kept in one hash. Every time
 * is the Redis server's clock (`TIME`), in ms; answers give durations from it, never instants.
 */

/** Shared by both scripts: the server's clock, number helpers and the budgets' GCRA. */
export const PRELUDE = `
local key = KEYS[1]
local a = ARGV
local function n(v) return tonumber(v) or 0 end
local function s(x) return string.format('%.17g', x) end
local function r(x) return string.format('%.3f', x) end
-- GCRA: a bucket of capacity c refilled one token per interval ms is full at tat and below;
-- cost may be taken once it holds min(cost, c), as an in-process TokenBucket.
local function allowedAt(tat, interval, c, cost)
  return tat - (c - math.min(cost, c)) * interval
end
`;

/** The server's clock, in ms. */
const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
`;

/**
 * The way in. ARGV: breaker on, probe lease ms, gate on, requests/min, tokens/min, cost,
 * forgetAfterMs, ttl ms, refuse-above ms (-1: none). Returns verdict, breaker ms, wait ms,
 * closed-for ms, now, pace, refused ('1' when the wait is above refuse-above: nothing reserved).
 */
export const ENTER = `${PRELUDE}${NOW}
local breakerOn = a[1] == '1'
local lease = n(a[2])
local gateOn = a[3] == '1'
local rpm, tpm, cost, forget, ttl = n(a[4]), n(a[5]), n(a[6]), n(a[7]), n(a[8])
local refuseAbove = tonumber(a[9]) or -1
local f = redis.call('HMGET', key, 'bs', 'bu', 'bp', 'cu', 'rt', 'tt', 'pr', 'pt', 'pq')
local bs, bu, bp, cu = n(f[1]), n(f[2]), n(f[3]), n(f[4])
local rt, tt, pr, pt, pq = n(f[5]), n(f[6]), n(f[7]), n(f[8]), n(f[9])
if breakerOn and bs == 1 then
  if now < bu then return {'open', r(bu - now), '0', r(cu - now), r(now), r(pr), '0'} end
  if bp > now then return {'halfOpen', r(bp - now), '0', r(cu - now), r(now), r(pr), '0'} end
end
local verdict, breakerMs = 'closed', 0
local out = {}
if breakerOn and bs == 1 then
  verdict, breakerMs = 'probe', lease
  out[#out + 1] = 'bp'; out[#out + 1] = s(now + lease)
end
local wait = 0
if gateOn then
  if pr > 0 and now - pq >= forget and pt <= now then
    pr = 0
    out[#out + 1] = 'pr'; out[#out + 1] = '0'
  end
  local start = math.max(now, cu)
  local rT, tT, pT
  if rpm > 0 then
    rT = 60000 / rpm
    start = math.max(start, allowedAt(rt, rT, math.max(1, rpm / 60), 1))
  end
  if tpm > 0 then
    tT = 60000 / tpm
    start = math.max(start, allowedAt(tt, tT, tpm / 60, cost))
  end
  if pr > 0 then
    pT = 1000 / pr
    start = math.max(start, allowedAt(pt, pT, math.max(1, pr), 1))
  end
  wait = start - now
  if verdict == 'closed' and refuseAbove >= 0 and wait > refuseAbove then
    if #out > 0 then redis.call('HSET', key, unpack(out)) end
    return {verdict, '0', r(wait), r(cu - now), r(now), r(pr), '1'}
  end
  if rpm > 0 then out[#out + 1] = 'rt'; out[#out + 1] = s(math.max(rt, start) + rT) end
  if tpm > 0 then out[#out + 1] = 'tt'; out[#out + 1] = s(math.max(tt, start) + cost * tT) end
  if pr > 0 then out[#out + 1] = 'pt'; out[#out + 1] = s(math.max(pt, start) + pT) end
end
if #out > 0 then
  redis.call('HSET', key, unpack(out))
  redis.call('PEXPIRE', key, ttl)
end
return {verdict, r(breakerMs), r(wait), r(cu - now), r(now), r(pr), '0'}
`;

/**
 * The retry budget, as the in-process `RetryBudget` keeps it: the calls (`d`) and the retries
 * (`w`) of the window's 10 slices and the one it is leaving, and the last slice (`s`).
 */
export const RETRY_BUDGET = `
local SLICES = 10
local function budgetAdvance(b, now, sliceMs)
  local slice = math.floor(now / sliceMs)
  if slice > b.s then
    local cleared = math.min(slice - b.s, SLICES + 1)
    for x = slice - cleared + 1, slice do
      local i = x % (SLICES + 1)
      b.d[i], b.w[i] = 0, 0
    end
    b.s = slice
  end
  return b.s % (SLICES + 1)
end
local function budgetDeposit(b, now, sliceMs, count)
  local i = budgetAdvance(b, now, sliceMs)
  b.d[i] = b.d[i] + count
end
-- The oldest slice straddles the window's start: its calls may be older than the window.
local function budgetWithdraw(b, now, sliceMs, percent, reserve)
  local index = budgetAdvance(b, now, sliceMs)
  local deposited, withdrawn = 0, 0
  for i = 0, SLICES do
    withdrawn = withdrawn + b.w[i]
    if i ~= (index + 1) % (SLICES + 1) then deposited = deposited + b.d[i] end
  end
  if (withdrawn + 1) * 100 > percent * deposited + reserve then return false end
  b.w[index] = b.w[index] + 1
  return true
end
`;

/**
 * The way out. ARGV: breaker outcome (0 none, 1 success, 2 failure), probe, failure hint ms,
 * halfOpenAfterMs, maxHalfOpenAfterMs, consecutiveFailures (0: sampling), failureRatio,
 * samplingMs, minimumCalls; gate outcome (0 none, 1 answered, 2 rate-limited), 429 hint ms,
 * backoffMs, maxWaitMs, sent at, backlogged, requests/min, increasePerSec, decreaseFactor,
 * minRatePerSec, forgetAfterMs; ttl ms; retry budget on, percent, minPerSec, windowMs, calls,
 * withdraw. Returns breaker change, open ms, closed-for ms, pace, retry granted ('1', '0', or ''
 * when not asked).
 */
export const LEAVE = `${PRELUDE}${RETRY_BUDGET}${NOW}
local bo, probe, bhint = a[1], a[2] == '1', n(a[3])
local first, longest, consecutive = n(a[4]), n(a[5]), n(a[6])
local ratio, samplingMs, minCalls = n(a[7]), n(a[8]), n(a[9])
local go, ghint, backoff, maxWait = a[10], n(a[11]), n(a[12]), n(a[13])
local sentAt, backlogged = n(a[14]), a[15] == '1'
local rpm, inc, dec, minRate, forget = n(a[16]), n(a[17]), n(a[18]), n(a[19]), n(a[20])
local ttl = n(a[21])
local names = {'bs', 'bu', 'bp', 'bf', 'bn', 'ss', 'sf', 'sw', 'ps', 'pf',
  'cu', 'st', 'rt', 'pr', 'pt', 'pc', 'px', 'pv', 'pq', 'ms', 'mc', 'mp'}
local f = redis.call('HMGET', key, unpack(names))
local v = {}
for i, name in ipairs(names) do v[name] = n(f[i]) end
local change, openMs = '', 0
local function open()
  v.bn = v.bn + 1
  local ms = math.min(first * 2 ^ (v.bn - 1), longest)
  if bhint > ms then ms = bhint end
  v.bs, v.bu, v.bp, v.bf = 1, now + ms, 0, 0
  v.ss, v.sf, v.ps, v.pf, v.sw = 0, 0, 0, 0, now
  change, openMs = 'opened', ms
end
local function roll()
  if now - v.sw < samplingMs then return end
  if now - v.sw < 2 * samplingMs then
    v.ps, v.pf, v.sw = v.ss, v.sf, v.sw + samplingMs
  else
    v.ps, v.pf, v.sw = 0, 0, now
  end
  v.ss, v.sf = 0, 0
end
if bo == '1' then
  if v.bs == 1 then
    if probe then
      v.bs, v.bu, v.bp, v.bn, v.bf = 0, 0, 0, 0, 0
      change = 'reset'
    end
  else
    v.bf = 0
    if consecutive == 0 then roll(); v.ss = v.ss + 1 end
  end
elseif bo == '2' then
  if v.bs == 1 then
    if probe then open() end
  elseif consecutive > 0 then
    v.bf = v.bf + 1
    if v.bf >= consecutive then open() end
  else
    roll(); v.sf = v.sf + 1
    local w = math.max(0, 1 - (now - v.sw) / samplingMs)
    local total = (v.ps + v.pf) * w + v.ss + v.sf
    if total >= minCalls and v.pf * w + v.sf > ratio * total then open() end
  end
elseif probe then
  v.bp = 0
end
local function meterRoll()
  if now - v.ms < 1000 then return end
  if now - v.ms < 2000 then v.mp, v.ms = v.mc, v.ms + 1000 else v.mp, v.ms = 0, now end
  v.mc = 0
end
-- Answers over the last second, the second before it weighted by how much of it is still in.
local function meterRate() return v.mp * math.max(0, 1 - (now - v.ms) / 1000) + v.mc end
if go == '2' then
  local stale = sentAt < v.pc
  if not stale then v.st = v.st + 1 end
  local wait = ghint
  if wait < 0 then wait = backoff * 2 ^ math.max(0, v.st - 1) end
  wait = math.min(maxWait, wait)
  v.cu = math.max(v.cu, now + wait)
  meterRoll()
  local rate = meterRate()
  if v.pr == 0 then
    -- The rate the server just sustained; with none, one request per the wait it asked for (a
    -- token bucket's short wait says when its next token comes, not its rate).
    if rate >= 2 or now - v.pq < forget then
      local start = rate
      if rate < 2 and wait > 0 then start = 1000 / wait end
      v.pr, v.pc, v.px, v.pv = math.max(minRate, start), now, 0, 0
    end
  elseif not stale and now - v.px >= 1000 then
    v.pv, v.px, v.pc = v.pr, now, now
    v.pr = math.max(minRate, v.pr * dec)
  end
  v.pq = v.cu
  if rpm > 0 then v.rt = math.max(v.rt, v.cu + (math.max(1, rpm / 60) - 1) * 60000 / rpm) end
  if v.pr > 0 then v.pt = math.max(v.pt, v.cu + (math.max(1, v.pr) - 1) * 1000 / v.pr) end
elseif go == '1' then
  v.st = 0
  meterRoll()
  v.mc = v.mc + 1
  if v.pr > 0 and v.pv == 0 and sentAt < v.pc then
    -- Before the first cut, the replies to requests sent before the pace started raise it to
    -- what the server sustained.
    v.pr = math.max(v.pr, meterRate())
  elseif v.pr > 0 and backlogged and sentAt >= v.pc then
    local cut = v.pv * (1 - dec)
    v.pr = math.max(v.pr + inc / v.pr, math.min(v.pv, v.pr + cut / v.pr))
  end
end
local out = {}
for _, name in ipairs(names) do out[#out + 1] = name; out[#out + 1] = s(v[name]) end
local granted = ''
if a[22] == '1' then
  local percent, minPerSec, windowMs, calls = n(a[23]), n(a[24]), n(a[25]), n(a[26])
  local fields = {'ys'}
  for i = 0, SLICES do fields[#fields + 1] = 'y' .. i; fields[#fields + 1] = 'z' .. i end
  local g = redis.call('HMGET', key, unpack(fields))
  local b = {s = n(g[1]), d = {}, w = {}}
  for i = 0, SLICES do b.d[i], b.w[i] = n(g[2 + 2 * i]), n(g[3 + 2 * i]) end
  local sliceMs = windowMs / SLICES
  if calls > 0 then budgetDeposit(b, now, sliceMs, calls) end
  if a[27] == '1' then
    local reserve = minPerSec * (windowMs / 1000) * 100
    granted = budgetWithdraw(b, now, sliceMs, percent, reserve) and '1' or '0'
  end
  out[#out + 1] = 'ys'; out[#out + 1] = s(b.s)
  for i = 0, SLICES do
    out[#out + 1] = 'y' .. i; out[#out + 1] = s(b.d[i])
    out[#out + 1] = 'z' .. i; out[#out + 1] = s(b.w[i])
  end
end
redis.call('HSET', key, unpack(out))
redis.call('PEXPIRE', key, ttl)
return {change, r(openMs), r(v.cu - now), r(v.pr), granted}
`;
