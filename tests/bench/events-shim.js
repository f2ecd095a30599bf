// events-shim.js: the part of Node's EventEmitter that StanzaJS and its
// bundled stream code call, so StanzaJS bundles for the browser with no
// extra package (its package leaves `events` to the bundler). A function,
// not a class: the bundled stream code calls it as Stream.call(this).
export function EventEmitter() {
  this._events = new Map();
}

const proto = EventEmitter.prototype;

proto._list = function _list(type) {
  if (!this._events) this._events = new Map();
  let l = this._events.get(type);
  if (!l) this._events.set(type, (l = []));
  return l;
};

proto.on = function on(type, fn) {
  this._list(type).push(fn);
  return this;
};
proto.addListener = proto.on;

proto.prependListener = function prependListener(type, fn) {
  this._list(type).unshift(fn);
  return this;
};

proto.once = function once(type, fn) {
  const wrapped = (...args) => {
    this.off(type, wrapped);
    fn.apply(this, args);
  };
  wrapped.listener = fn;
  return this.on(type, wrapped);
};

proto.off = function off(type, fn) {
  const l = this._list(type);
  const i = l.findIndex((x) => x === fn || x.listener === fn);
  if (i >= 0) l.splice(i, 1);
  return this;
};
proto.removeListener = proto.off;

proto.removeAllListeners = function removeAllListeners(type) {
  if (type === undefined) this._events = new Map();
  else this._events?.delete(type);
  return this;
};

proto.emit = function emit(type, ...args) {
  const l = this._events?.get(type);
  if (!l || !l.length) {
    if (type === 'error') throw args[0] instanceof Error ? args[0] : new Error(String(args[0]));
    return false;
  }
  for (const fn of [...l]) fn.apply(this, args);
  return true;
};

proto.listeners = function listeners(type) {
  return (this._events?.get(type) ?? []).map((x) => x.listener ?? x);
};

proto.listenerCount = function listenerCount(type) {
  return this._events?.get(type)?.length ?? 0;
};

proto.setMaxListeners = function setMaxListeners() {
  return this;
};

EventEmitter.EventEmitter = EventEmitter;
EventEmitter.listenerCount = (emitter, type) => emitter.listenerCount(type);
export default EventEmitter;
