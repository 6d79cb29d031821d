/**
 * The little language of the program task (Zaremba & Sutskever, "Learning to Execute", §3): its syntax tree,
 * how a tree is written as Python source, an exact interpreter over the tree (BigInt arithmetic), and a parser
 * from source back to a tree, so that any program text of the subset can be run.
 *
 * The subset, one statement per line:
 *
 * ```text
 * statement  := "print(" expr ")" | name ("=" | "+=" | "-=") expr
 *             | "for " name " in range(" integer "):" followed by lines indented deeper (the body)
 * expr       := sum [" if " sum "<" sum " else " expr]      Python's conditional expression
 * sum        := term (("+" | "-") term)*
 * term       := atom ("*" atom)*
 * atom       := integer | name | "(" expr ")"
 * ```
 *
 * Names are single lowercase letters or words that are not keywords; integers are written without leading
 * zeros (as Python requires). Evaluation follows Python: `print` writes the value's decimal form, a loop runs
 * its body `k` times with its variable set to 0, 1, …, k − 1, and a conditional evaluates only the branch it
 * takes.
 *
 * @module
 */

/** An expression of the program language: a literal, a variable, a binary operation or a conditional. */
export type ProgramExpression =
  | { readonly kind: "number"; readonly value: bigint }
  | { readonly kind: "variable"; readonly name: string }
  | {
    readonly kind: "binary";
    readonly op: "+" | "-" | "*";
    readonly left: ProgramExpression;
    readonly right: ProgramExpression;
  }
  | {
    readonly kind: "conditional";
    /** The value when `left < right`. */
    readonly then: ProgramExpression;
    readonly left: ProgramExpression;
    readonly right: ProgramExpression;
    /** The value otherwise. */
    readonly otherwise: ProgramExpression;
  };

/** A statement of the program language: an assignment (plain or augmented), a `for` loop or a `print`. */
export type ProgramStatement =
  | {
    readonly kind: "assign";
    readonly name: string;
    readonly op: "=" | "+=" | "-=";
    readonly value: ProgramExpression;
  }
  | {
    readonly kind: "loop";
    readonly variable: string;
    readonly count: bigint;
    readonly body: readonly ProgramStatement[];
  }
  | { readonly kind: "print"; readonly value: ProgramExpression };

const KEYWORDS: ReadonlySet<string> = new Set(["print", "for", "in", "range", "if", "else"]);
const INDENT = "  ";

/**
 * Writes a program as Python source: one statement per line (no trailing newline), loop bodies indented by
 * two spaces, and every operation that is an operand of another operation in parentheses (the outermost
 * expression of a statement has none), e.g. `print((b+7567) if 2641<8500 else 5308)`.
 *
 * @param program The statements.
 * @returns The source text.
 *
 * @example Write an addition
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProgram } from "./program_interpreter.ts";
 * const source = formatProgram([{
 *   kind: "print",
 *   value: {
 *     kind: "binary",
 *     op: "+",
 *     left: { kind: "number", value: 398345n },
 *     right: { kind: "number", value: 42598n },
 *   },
 * }]);
 * assert(source === "print(398345+42598)");
 * ```
 */
export function formatProgram(program: readonly ProgramStatement[]): string {
  const lines: string[] = [];
  const write = (statements: readonly ProgramStatement[], indent: string): void => {
    for (const s of statements) {
      switch (s.kind) {
        case "assign":
          lines.push(`${indent}${s.name}${s.op}${formatExpression(s.value)}`);
          break;
        case "loop":
          lines.push(`${indent}for ${s.variable} in range(${s.count}):`);
          write(s.body, indent + INDENT);
          break;
        case "print":
          lines.push(`${indent}print(${formatExpression(s.value)})`);
          break;
      }
    }
  };
  write(program, "");
  return lines.join("\n");
}

/**
 * Writes one expression as Python source, with parentheses around every operation that is an operand of
 * another (and around the whole expression when `nested`).
 *
 * @param e The expression.
 * @param nested Whether the expression is itself an operand (default false: no outer parentheses).
 * @returns The source text.
 *
 * @example A conditional whose branch is a sum
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatExpression } from "./program_interpreter.ts";
 * const n = (value: bigint) => ({ kind: "number", value }) as const;
 * const text = formatExpression({
 *   kind: "conditional",
 *   then: { kind: "binary", op: "+", left: { kind: "variable", name: "b" }, right: n(7567n) },
 *   left: n(2641n),
 *   right: n(8500n),
 *   otherwise: n(5308n),
 * });
 * assert(text === "(b+7567) if 2641<8500 else 5308");
 * ```
 */
export function formatExpression(e: ProgramExpression, nested = false): string {
  switch (e.kind) {
    case "number":
      return e.value.toString();
    case "variable":
      return e.name;
    case "binary": {
      const text = `${formatExpression(e.left, true)}${e.op}${formatExpression(e.right, true)}`;
      return nested ? `(${text})` : text;
    }
    case "conditional": {
      const text = `${formatExpression(e.then, true)} if ${formatExpression(e.left, true)}<${
        formatExpression(e.right, true)
      } else ${formatExpression(e.otherwise, true)}`;
      return nested ? `(${text})` : text;
    }
  }
}

/**
 * Runs a program exactly (BigInt arithmetic) and returns what it prints.
 *
 * @param program The statements.
 * @returns The printed values, one per line (no trailing newline); `""` when nothing is printed.
 * @throws {ReferenceError} when a variable is read before it is assigned.
 *
 * @example A loop that accumulates
 * ```ts
 * import assert from "node:assert/strict";
 * import { executeProgram, parseProgram } from "./program_interpreter.ts";
 * const out = executeProgram(parseProgram("j=8584\nfor x in range(8):\n  j+=920\nprint(j)"));
 * assert(out === "15944");
 * ```
 */
export function executeProgram(program: readonly ProgramStatement[]): string {
  const env = new Map<string, bigint>();
  const printed: string[] = [];
  const run = (statements: readonly ProgramStatement[]): void => {
    for (const s of statements) {
      switch (s.kind) {
        case "assign": {
          const v = evaluateExpression(s.value, env);
          if (s.op === "=") {
            env.set(s.name, v);
          } else {
            const old = lookup(env, s.name);
            env.set(s.name, s.op === "+=" ? old + v : old - v);
          }
          break;
        }
        case "loop":
          for (let i = 0n; i < s.count; i++) {
            env.set(s.variable, i);
            run(s.body);
          }
          break;
        case "print":
          printed.push(evaluateExpression(s.value, env).toString());
          break;
      }
    }
  };
  run(program);
  return printed.join("\n");
}

/**
 * Evaluates one expression exactly, given the variables' values.
 *
 * @param e The expression.
 * @param env The variables' values (default: none).
 * @returns The value.
 * @throws {ReferenceError} when the expression reads a variable `env` lacks.
 *
 * @example Subtraction can go negative
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateExpression } from "./program_interpreter.ts";
 * const v = evaluateExpression({
 *   kind: "binary",
 *   op: "-",
 *   left: { kind: "number", value: 12n },
 *   right: { kind: "variable", name: "a" },
 * }, new Map([["a", 50n]]));
 * assert(v === -38n);
 * ```
 */
export function evaluateExpression(
  e: ProgramExpression,
  env: ReadonlyMap<string, bigint> = new Map(),
): bigint {
  switch (e.kind) {
    case "number":
      return e.value;
    case "variable":
      return lookup(env, e.name);
    case "binary": {
      const a = evaluateExpression(e.left, env), b = evaluateExpression(e.right, env);
      return e.op === "+" ? a + b : e.op === "-" ? a - b : a * b;
    }
    case "conditional":
      return evaluateExpression(e.left, env) < evaluateExpression(e.right, env)
        ? evaluateExpression(e.then, env)
        : evaluateExpression(e.otherwise, env);
  }
}

function lookup(env: ReadonlyMap<string, bigint>, name: string): bigint {
  const v = env.get(name);
  if (v === undefined) throw new ReferenceError(`Cannot run the program: variable '${name}' is not defined`);
  return v;
}

/**
 * Parses program source of the subset described in the module doc into statements.
 *
 * @param source The program text, lines separated by `\n`.
 * @returns The statements.
 * @throws {SyntaxError} naming the line and what was expected, when the text is not in the subset.
 *
 * @example Parse and run
 * ```ts
 * import assert from "node:assert/strict";
 * import { executeProgram, parseProgram } from "./program_interpreter.ts";
 * assert(executeProgram(parseProgram("print(398345+42598)")) === "440943");
 * ```
 */
export function parseProgram(source: string): ProgramStatement[] {
  const lines = source.split("\n");
  let index = 0;
  const block = (indent: number): ProgramStatement[] => {
    const statements: ProgramStatement[] = [];
    while (index < lines.length) {
      const line = lines[index]!;
      if (line.trim() === "") {
        index++;
        continue;
      }
      const own = line.length - line.trimStart().length;
      if (own < indent) break;
      if (own > indent) throw syntaxError(index, "unexpected indentation");
      const lineNo = index++;
      const statement = parseLine(line.slice(own), lineNo);
      if (statement.kind === "loop") {
        const next = lines.slice(index).find((l) => l.trim() !== "");
        const nextIndent = next === undefined ? -1 : next.length - next.trimStart().length;
        if (nextIndent <= own) throw syntaxError(lineNo, "expected an indented loop body");
        statements.push({ ...statement, body: block(nextIndent) });
      } else {
        statements.push(statement);
      }
    }
    return statements;
  };
  const program = block(0);
  if (index < lines.length) throw syntaxError(index, "unexpected indentation");
  return program;
}

/**
 * Parses and runs program source: `executeProgram(parseProgram(source))`.
 *
 * @param source The program text.
 * @returns What the program prints (lines joined by `\n`, no trailing newline).
 * @throws {SyntaxError} when the text is not in the subset.
 * @throws {ReferenceError} when a variable is read before it is assigned.
 *
 * @example A conditional
 * ```ts
 * import assert from "node:assert/strict";
 * import { runProgramSource } from "./program_interpreter.ts";
 * assert(runProgramSource("print(5 if 7<3 else 12-40)") === "-28");
 * ```
 */
export function runProgramSource(source: string): string {
  return executeProgram(parseProgram(source));
}

function syntaxError(line: number, message: string): SyntaxError {
  return new SyntaxError(`Cannot parse the program: line ${line + 1}: ${message}`);
}

type Token =
  | { readonly kind: "number"; readonly value: bigint }
  | { readonly kind: "name"; readonly text: string }
  | { readonly kind: "symbol"; readonly text: string };

function tokenize(text: string, line: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " ") {
      i++;
    } else if (c >= "0" && c <= "9") {
      let j = i;
      while (j < text.length && text[j]! >= "0" && text[j]! <= "9") j++;
      const digits = text.slice(i, j);
      if (digits.length > 1 && digits[0] === "0") {
        throw syntaxError(line, `integer ${digits} has a leading zero`);
      }
      tokens.push({ kind: "number", value: BigInt(digits) });
      i = j;
    } else if (c >= "a" && c <= "z") {
      let j = i;
      while (j < text.length && text[j]! >= "a" && text[j]! <= "z") j++;
      tokens.push({ kind: "name", text: text.slice(i, j) });
      i = j;
    } else if ((c === "+" || c === "-") && text[i + 1] === "=") {
      tokens.push({ kind: "symbol", text: c + "=" });
      i += 2;
    } else if ("+-*()<=:".includes(c)) {
      tokens.push({ kind: "symbol", text: c });
      i++;
    } else {
      throw syntaxError(line, `unexpected character ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

function parseLine(text: string, line: number): ProgramStatement {
  const tokens = tokenize(text, line);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const describe = (t: Token | undefined): string =>
    t === undefined ? "the end of the line" : t.kind === "number" ? t.value.toString() : `'${t.text}'`;
  const isSymbol = (t: Token | undefined, s: string): boolean => t?.kind === "symbol" && t.text === s;
  const isKeyword = (t: Token | undefined, k: string): boolean => t?.kind === "name" && t.text === k;
  const expectSymbol = (s: string): void => {
    if (!isSymbol(peek(), s)) throw syntaxError(line, `expected '${s}', got ${describe(peek())}`);
    pos++;
  };
  const expectKeyword = (k: string): void => {
    if (!isKeyword(peek(), k)) throw syntaxError(line, `expected '${k}', got ${describe(peek())}`);
    pos++;
  };
  const name = (): string => {
    const t = peek();
    if (t?.kind !== "name" || KEYWORDS.has(t.text)) {
      throw syntaxError(line, `expected a variable name, got ${describe(t)}`);
    }
    pos++;
    return t.text;
  };
  const atom = (): ProgramExpression => {
    const t = peek();
    if (t?.kind === "number") {
      pos++;
      return { kind: "number", value: t.value };
    }
    if (isSymbol(t, "(")) {
      pos++;
      const e = expr();
      expectSymbol(")");
      return e;
    }
    return { kind: "variable", name: name() };
  };
  const term = (): ProgramExpression => {
    let e = atom();
    while (isSymbol(peek(), "*")) {
      pos++;
      e = { kind: "binary", op: "*", left: e, right: atom() };
    }
    return e;
  };
  const sum = (): ProgramExpression => {
    let e = term();
    for (let t = peek(); isSymbol(t, "+") || isSymbol(t, "-"); t = peek()) {
      pos++;
      e = { kind: "binary", op: (t as { text: "+" | "-" }).text, left: e, right: term() };
    }
    return e;
  };
  const expr = (): ProgramExpression => {
    const then = sum();
    if (!isKeyword(peek(), "if")) return then;
    pos++;
    const left = sum();
    expectSymbol("<");
    const right = sum();
    expectKeyword("else");
    return { kind: "conditional", then, left, right, otherwise: expr() };
  };
  const end = (): void => {
    if (pos !== tokens.length) {
      throw syntaxError(line, `expected the end of the line, got ${describe(peek())}`);
    }
  };

  let statement: ProgramStatement;
  if (isKeyword(peek(), "print")) {
    pos++;
    expectSymbol("(");
    const value = expr();
    expectSymbol(")");
    statement = { kind: "print", value };
  } else if (isKeyword(peek(), "for")) {
    pos++;
    const variable = name();
    expectKeyword("in");
    expectKeyword("range");
    expectSymbol("(");
    const t = peek();
    if (t?.kind !== "number") throw syntaxError(line, `expected a loop count, got ${describe(t)}`);
    pos++;
    expectSymbol(")");
    expectSymbol(":");
    statement = { kind: "loop", variable, count: t.value, body: [] };
  } else {
    const target = name();
    const t = peek();
    if (!(isSymbol(t, "=") || isSymbol(t, "+=") || isSymbol(t, "-="))) {
      throw syntaxError(line, `expected '=', '+=' or '-=', got ${describe(t)}`);
    }
    pos++;
    statement = { kind: "assign", name: target, op: (t as { text: "=" | "+=" | "-=" }).text, value: expr() };
  }
  end();
  return statement;
}
