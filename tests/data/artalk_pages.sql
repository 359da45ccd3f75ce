-- Artalk's pages table, as its Go entity declares it (ArtalkJS/Artalk,
-- internal/entity/page.go: gorm.Model, Key, Title, AdminOnly, SiteName, VoteUp, VoteDown,
-- PV) and gorm names it in SQLite under Artalk's default table prefix "atk_". "key" is the
-- page (Artalk keeps the page's URL without its query and hash), vote_up/vote_down its votes.
CREATE TABLE `atk_pages` (
	`id` integer PRIMARY KEY AUTOINCREMENT,
	`created_at` datetime,
	`updated_at` datetime,
	`deleted_at` datetime,
	`key` text,
	`title` text,
	`admin_only` numeric,
	`site_name` text,
	`vote_up` integer,
	`vote_down` integer,
	`pv` integer
);
CREATE INDEX `idx_atk_pages_key` ON `atk_pages`(`key`);
CREATE INDEX `idx_atk_pages_site_name` ON `atk_pages`(`site_name`);
INSERT INTO `atk_pages` (`created_at`, `updated_at`, `key`, `title`, `admin_only`, `site_name`, `vote_up`, `vote_down`, `pv`) VALUES
	('2025-03-01 10:00:00', '2026-11-30 08:12:00', 'https://blog.example.com/posts/hello/', 'Hello, world', 0, 'My Blog', 41, 2, 5120),
	('2025-06-12 17:30:00', '2026-12-01 21:40:00', 'https://blog.example.com/posts/night-trains/', 'Night trains are back', 0, 'My Blog', 17, 0, 980),
	('2026-01-05 09:00:00', '2026-01-05 09:00:00', 'https://blog.example.com/about/', 'About', 0, 'My Blog', 0, 0, 77);
