-- uses: windows
-- Count a request's rate-limit windows, when no other call of the request can carry
-- them (lib/windows.lua; store/windows.py says when). KEYS and ARGV as hit_windows's.
return hit_windows(KEYS, ARGV)
