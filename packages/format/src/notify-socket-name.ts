/**
 * One job: name the writer's push wake-up socket in a log directory (docs/reading.md "Wake-ups").
 * It holds no data: a unix socket the writer listens on while it has the log open, and removes at
 * close. Recovery, retention and the reader ignore it (it is no segment name); a file left by a
 * writer that crashed is replaced by the next writer and refused (ECONNREFUSED) to followers.
 */
export const NOTIFY_SOCKET_NAME = 'notify.sock';
