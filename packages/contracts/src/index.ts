export * from './catalog.ts';
export * from './common.ts';
export * from './errors.ts';
export * from './incidents.ts';
export * from './platform.ts';
export * from './roles.ts';
