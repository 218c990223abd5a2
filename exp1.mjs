import { Redis } from 'ioredis';
async function t(name, opts) {
  const r = new Redis({ lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 2000, ...opts });
  const errs = [];
  r.on('error', e => errs.push(`${e.name}:${e.code}:${e.message}`));
  try { await r.connect(); const p = await r.ping(); console.log(name, 'OK', p, errs); }
  catch (e) { console.log(name, 'ERR', e.name, e.code, e.message, '| events:', errs); }
  r.disconnect();
}
await t('refused', { port: 16390 });
await t('nopass', { port: 16399 });
await t('wrongpass', { port: 16399, password: 'x' });
await t('wronguser', { port: 16399, username: 'bob', password: 'x' });
await t('rightpass', { port: 16399, password: 'sekret' });
await t('pass-not-needed', { port: 16398, password: 'x' });
await t('baddb', { port: 16398, db: 99 });
await t('nohost', { host: 'no-such-host.invalid', port: 6379 });
await t('blackhole', { host: '10.255.255.1', port: 6379 });
