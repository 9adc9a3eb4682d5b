// A web address drawn so that it wraps between its parts (after "//", after each dot and each
// "/") rather than inside a name: the parts of ordinary length never break; only a part too
// long for a whole line (a very long name on a narrow phone) may, as a last resort.

import { h, clear } from './dom.js';
import { externalLink } from './markdown.js';

/** Parts up to this many characters stay whole. */
const WHOLE = 24;

/** "https://my-app-alice.example.net/" -> ["https://", "my-app-alice.", "example.", "net/"] */
export function addressParts(url) {
  return String(url).match(/[^./]*[./]*/g).filter(Boolean);
}

/** Fills `el` with the address: its text stays exactly `url`; <wbr> marks where it may wrap. */
export function fillAddress(el, url) {
  clear(el);
  el.classList.add('address');
  addressParts(url).forEach((part, i) => {
    if (i) el.append(h('wbr'));
    el.append(part.length <= WHOLE ? h('span', { class: 'address-part' }, part) : part);
  });
  return el;
}

/** A link that opens the address in a new tab (rel noopener noreferrer), wrapping as above. */
export function addressLink(href, props = {}) {
  return fillAddress(externalLink(href, '', props), href);
}
