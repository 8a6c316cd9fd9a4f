// The one place @peculiar/x509 is imported. Its 2.x build needs a Reflect
// metadata polyfill loaded before it (through tsyringe); ES modules evaluate
// imports in order, so every user going through this file gets the polyfill
// first. Importing '@peculiar/x509' anywhere else may load it too early.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

// Node's webcrypto implements the W3C Crypto interface that @peculiar/x509 expects;
// the cast bridges Node's and the DOM library's declarations of the same API.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
