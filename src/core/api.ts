/**
 * The method table as a type: what `app.method()` adds to the instance's
 * type, and what a typed client reads. Types only; nothing here exists at
 * run time.
 */

/** One method as a client sees it: what it takes, what it answers. */
export interface Signature<P = unknown, R = unknown> {
  params: P
  result: R
}

// never created: it only carries the method table in the instance's type
declare const kMethodTable: unique symbol

/** An instance type that carries a method table `A` (`app.method()` returns one). */
export interface Typed<A> {
  readonly [kMethodTable]: A
}

/** Adds one method to a table. */
export type WithMethod<N extends string, P, R> = Typed<{ [K in N]: Signature<P, R> }>

/**
 * The method table of an instance built with chained `app.method()` calls,
 * e.g. `type Api = MethodsOf<typeof app>`; `{}` for an instance without one.
 */
export type MethodsOf<T> = T extends Typed<infer A> ? { [K in keyof A]: A[K] } : {}
