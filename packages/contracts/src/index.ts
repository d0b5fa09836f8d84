export * from './catalog.ts';
export * from './common.ts';
export * from './dora.ts';
export * from './errors.ts';
export * from './incidents.ts';
export * from './platform.ts';
export * from './postmortems.ts';
export * from './roles.ts';
