-- Waline's counter table, as Waline's own SQLite schema declares it (walinejs/waline,
-- assets/waline.sqlite.sql, commit 70d6cea1c073884ff8bdd74c3ce38c19da95bddd), with rows as
-- Waline writes them: "url" is the page's path, "time" its page views, "reaction0".."8"
-- the counts of the page's reactions (NULL until a first one).
CREATE TABLE IF NOT EXISTS "wl_Counter" (
	"id"	INTEGER,
	"time"	INTEGER,
	"reaction0"	INTEGER,
	"reaction1"	INTEGER,
	"reaction2"	INTEGER,
	"reaction3"	INTEGER,
	"reaction4"	INTEGER,
	"reaction5"	INTEGER,
	"reaction6"	INTEGER,
	"reaction7"	INTEGER,
	"reaction8"	INTEGER,
	"url"	TEXT,
	"createdAt"	DATETIME DEFAULT (datetime('now', 'localtime')),
	"updatedAt"	DATETIME DEFAULT (datetime('now', 'localtime')),
	PRIMARY KEY("id" AUTOINCREMENT)
);
INSERT INTO "wl_Counter" ("time", "reaction0", "reaction1", "reaction2", "url") VALUES
	(1520, 12, 3, NULL, '/posts/hello-world.html'),
	(88, NULL, NULL, NULL, '/posts/quiet.html'),
	(640, 7, 0, 2, '/2026/11/night-trains/'),
	(23, 1, 1, 1, '/about/');
