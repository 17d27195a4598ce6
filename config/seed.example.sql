-- DEMO EXAMPLE, not a configuration to run as it is: a made-up PBX, users, license and queue,
-- to show how the directory's tables fit together. For a real PBX, no SQL is needed:
--   bridge db upgrade
--   bridge core-server add pbx1 --ami 192.0.2.10 --username bridge --secret env:PBX1_AMI_SECRET
--   bridge import ami pbx1                        (users, extensions, queues and agents)
--   bridge account add admin --admin              (asks for the password)
--   bridge account add wallboard && bridge grant wallboard view --all
-- (`bridge demo` runs a throw-away demo with its own simulated PBX instead.)
--
-- The example runs on SQLite and PostgreSQL alike, once `bridge db upgrade` has run:
--   bridge db seed config/seed.example.sql          (either database, from the config)
--   sqlite3 bridge.db < config/seed.example.sql
--   psql postgresql://bridge@127.0.0.1/bridge -f config/seed.example.sql
-- Ids are optional (the database makes them); they are given here for the objects the
-- iSymphony documentation's curl examples name, so those examples work.
-- It adds no account: this file is public, so no password in it would be secret. Add them with
-- `bridge account add NAME --admin` and grants with `bridge grant` (see the end of the file).

BEGIN;

INSERT INTO core_servers (id, slug, name, ami_host, ami_port, ami_username, ami_secret,
                          originate_context, channel_template)
VALUES ('ca5de6c4-17bd-46ce-95a2-8b29c7812ca4', 'default', 'Main office PBX', '127.0.0.1', 5038,
        'bridge', 'env:BRIDGE_AMI_SECRET_DEFAULT', 'from-internal', 'PJSIP/{number}');
-- ami_auth is 'md5' by default: the link logs in with Challenge and an MD5 Key, so the secret
-- never crosses the network ('plain' only for AMI proxies that lack Challenge). For Asterisk's
-- TLS listener (manager.conf tlsenable, usually port 5039), checked against your own CA:
--   UPDATE core_servers SET ami_tls = TRUE, ami_port = 5039, ami_tls_ca = '/etc/bridge/pbx-ca.pem'
--   WHERE slug = 'default';

-- 25 full seats, valid until the end of 2030; a basic license whose users have no API extensions.
INSERT INTO licenses (id, core_server_id, kind, seats, expires_at, license_key)
VALUES ('6c0b6a43-0f9e-4a57-9a8e-2d2c6f0c1a01', 'ca5de6c4-17bd-46ce-95a2-8b29c7812ca4', 'full', 25,
        '2030-12-31 23:59:59', 'EXAMPLE-FULL-0001');
INSERT INTO licenses (core_server_id, kind, seats)
SELECT id, 'basic', 100 FROM core_servers WHERE slug = 'default';

INSERT INTO users (id, core_server_id, username, display_name, license_id)
VALUES ('ce1b2b59-15ad-46d2-a96a-2b4099630438', 'ca5de6c4-17bd-46ce-95a2-8b29c7812ca4', 'michaely',
        'Michael Y', '6c0b6a43-0f9e-4a57-9a8e-2d2c6f0c1a01');
INSERT INTO users (core_server_id, username, display_name, license_id)
SELECT cs.id, 'annab', 'Anna B', l.id
FROM core_servers cs JOIN licenses l ON l.core_server_id = cs.id AND l.kind = 'full'
WHERE cs.slug = 'default';
INSERT INTO users (core_server_id, username, display_name, license_id)
SELECT cs.id, 'lobby', 'Lobby phone', l.id
FROM core_servers cs JOIN licenses l ON l.core_server_id = cs.id AND l.kind = 'basic'
WHERE cs.slug = 'default';

INSERT INTO extensions (id, core_server_id, user_id, extension_number, display_name,
                        permission_id, configuration_id)
VALUES ('ef2faba9-8557-49c1-9ffc-5a71f41c7a23', 'ca5de6c4-17bd-46ce-95a2-8b29c7812ca4',
        'ce1b2b59-15ad-46d2-a96a-2b4099630438', '4224', 'Michael Y',
        '813936dd-98a4-4ccc-8bcf-dd1f27673c1f', '813936dd-98a4-4ccc-8bcf-dd1f27673c1f');
-- Anna's extension shares Michael's permission id: one grant covers both.
INSERT INTO extensions (core_server_id, user_id, extension_number, display_name, permission_id)
SELECT u.core_server_id, u.id, '4225', 'Anna B', '813936dd-98a4-4ccc-8bcf-dd1f27673c1f'
FROM users u JOIN core_servers cs ON cs.id = u.core_server_id
WHERE cs.slug = 'default' AND u.username = 'annab';
-- The lobby phone is on a basic license: it does not exist for the API.
INSERT INTO extensions (core_server_id, user_id, extension_number, display_name)
SELECT u.core_server_id, u.id, '4230', 'Lobby'
FROM users u JOIN core_servers cs ON cs.id = u.core_server_id
WHERE cs.slug = 'default' AND u.username = 'lobby';

INSERT INTO queues (id, core_server_id, identifier, display_name)
VALUES ('05bf3ecf-ce6b-4c8f-9aa6-f8d111b2699b', 'ca5de6c4-17bd-46ce-95a2-8b29c7812ca4', 'support',
        'Support');

INSERT INTO agents (id, queue_id, extension_id, name, interface)
VALUES ('d5e41ab4-445a-4613-99b5-7f5343045220', '05bf3ecf-ce6b-4c8f-9aa6-f8d111b2699b',
        'ef2faba9-8557-49c1-9ffc-5a71f41c7a23', 'Michael Y', 'PJSIP/4224');
INSERT INTO agents (queue_id, extension_id, name, interface, penalty)
SELECT q.id, e.id, 'Anna B', 'PJSIP/4225', 1
FROM queues q JOIN extensions e ON e.core_server_id = q.core_server_id
WHERE q.identifier = 'support' AND e.extension_number = '4225';

-- No accounts here (see the top of the file). A view-only wallboard for this directory:
--   bridge account add wallboard
--   bridge grant wallboard view --core-server default
--   bridge grant wallboard view --queue default/support        (the queue, and so its agents)
--   bridge grant wallboard view --extension default/4224       (4224 and 4225: they share it)
-- or, to see everything the bridge knows: bridge grant wallboard view --all

COMMIT;
