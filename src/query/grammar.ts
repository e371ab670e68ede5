// The DIALECT 2 query grammar: terminals in the module's numbering, precedence levels, fallback
// and the 113 rules in the order RediSearch's parser.y declares them (the order decides which
// reduce wins a conflict and which reduce becomes a state's default, so it is part of the
// language). Actions live in parser.ts, indexed by rule number.

import type { GrammarSpec } from './lalr.js';

const RULES = `
query ::= expr
query ::=
query ::= star
star ::= STAR
star ::= LP star RP
expr ::= text_expr [TEXTEXPR]
expr ::= expr expr [AND]
expr ::= text_expr expr [AND]
expr ::= expr text_expr [AND]
text_expr ::= text_expr text_expr [AND]
expr ::= union [ORX]
union ::= expr OR expr [OR]
union ::= union OR expr [OR]
union ::= text_expr OR expr [OR]
union ::= expr OR text_expr [OR]
text_expr ::= text_union [ORX]
text_union ::= text_expr OR text_expr [OR]
text_union ::= text_union OR text_expr [OR]
expr ::= modifier COLON text_expr
expr ::= modifierlist COLON text_expr
expr ::= LP expr RP
text_expr ::= LP text_expr RP
attribute ::= ATTRIBUTE COLON param_term
attribute_list ::= attribute
attribute_list ::= attribute_list SEMICOLON attribute
attribute_list ::= attribute_list SEMICOLON
attribute_list ::=
expr ::= expr ARROW LB attribute_list RB
text_expr ::= text_expr ARROW LB attribute_list RB
text_expr ::= EXACT [TERMLIST]
text_expr ::= QUOTE ATTRIBUTE QUOTE [TERMLIST]
text_expr ::= SQUOTE ATTRIBUTE SQUOTE [TERMLIST]
text_expr ::= param_term [LOWEST]
text_expr ::= affix [PREFIX]
text_expr ::= verbatim [VERBATIM]
termlist ::= param_term param_term [TERMLIST]
termlist ::= termlist param_term [TERMLIST]
expr ::= MINUS expr
text_expr ::= MINUS text_expr
expr ::= TILDE expr
text_expr ::= TILDE text_expr
affix ::= PREFIX
affix ::= SUFFIX
affix ::= CONTAINS
verbatim ::= WILDCARD
text_expr ::= PERCENT param_term PERCENT [PREFIX]
text_expr ::= PERCENT PERCENT param_term PERCENT PERCENT [PREFIX]
text_expr ::= PERCENT PERCENT PERCENT param_term PERCENT PERCENT PERCENT [PREFIX]
modifier ::= MODIFIER
modifierlist ::= modifier OR term
modifierlist ::= modifierlist OR term
expr ::= ISMISSING LP modifier RP
expr ::= modifier COLON LB tag_list RB
tag_list ::= param_term_case [TAGLIST]
tag_list ::= affix [TAGLIST]
tag_list ::= verbatim [TAGLIST]
tag_list ::= termlist [TAGLIST]
tag_list ::= tag_list OR param_term_case [TAGLIST]
tag_list ::= tag_list OR affix [TAGLIST]
tag_list ::= tag_list OR verbatim [TAGLIST]
tag_list ::= tag_list OR termlist [TAGLIST]
expr ::= modifier COLON numeric_range
numeric_range ::= LSQB param_num param_num RSQB [NUMBER]
numeric_range ::= LSQB exclusive_param_num param_num RSQB [NUMBER]
numeric_range ::= LSQB param_num exclusive_param_num RSQB [NUMBER]
numeric_range ::= LSQB exclusive_param_num exclusive_param_num RSQB [NUMBER]
numeric_range ::= LSQB param_num RSQB [NUMBER]
expr ::= modifier NOT_EQUAL param_num
expr ::= modifier EQUALS param_num
expr ::= modifier GT param_num
expr ::= modifier GE param_num
expr ::= modifier LT param_num
expr ::= modifier LE param_num
expr ::= modifier COLON geo_filter
geo_filter ::= LSQB param_num param_num param_num param_term RSQB [NUMBER]
expr ::= modifier COLON geometry_query
geometry_query ::= LSQB TERM ATTRIBUTE RSQB
query ::= expr ARROW LSQB vector_query RSQB
query ::= text_expr ARROW LSQB vector_query RSQB
query ::= star ARROW LSQB vector_query RSQB
vector_query ::= vector_command vector_attribute_list vector_score_field
vector_query ::= vector_command vector_score_field
vector_query ::= vector_command vector_attribute_list
vector_query ::= vector_command
as ::= AS_T
vector_score_field ::= as param_term_case
query ::= expr ARROW LSQB vector_query RSQB ARROW LB attribute_list RB
query ::= text_expr ARROW LSQB vector_query RSQB ARROW LB attribute_list RB
query ::= star ARROW LSQB vector_query RSQB ARROW LB attribute_list RB
vector_command ::= TERM param_size modifier ATTRIBUTE
vector_attribute ::= TERM param_term
vector_attribute_list ::= vector_attribute_list vector_attribute
vector_attribute_list ::= vector_attribute
expr ::= modifier COLON LSQB vector_range_command RSQB
vector_range_command ::= TERM param_num ATTRIBUTE
num ::= SIZE
num ::= NUMBER
num ::= MINUS num
term ::= TERM
term ::= NUMBER
term ::= SIZE
param_term ::= term
param_term ::= ATTRIBUTE
param_term_case ::= term
param_term_case ::= ATTRIBUTE
param_size ::= SIZE
param_size ::= ATTRIBUTE
param_num ::= ATTRIBUTE
param_num ::= MINUS ATTRIBUTE
param_num ::= num
exclusive_param_num ::= LP num
exclusive_param_num ::= LP ATTRIBUTE
exclusive_param_num ::= LP MINUS ATTRIBUTE
`;

export const QUERY_GRAMMAR: GrammarSpec = {
  terminals: [
    'LOWEST', 'TEXTEXPR', 'ORX', 'OR', 'ISMISSING', 'MODIFIER', 'RP', 'RB', 'RSQB', 'EXACT',
    'TERM', 'QUOTE', 'SQUOTE', 'LP', 'LB', 'LSQB', 'TILDE', 'MINUS', 'AND', 'ARROW', 'COLON',
    'NOT_EQUAL', 'EQUALS', 'GE', 'GT', 'LE', 'LT', 'NUMBER', 'SIZE', 'STAR', 'TAGLIST', 'TERMLIST',
    'PREFIX', 'SUFFIX', 'CONTAINS', 'PERCENT', 'ATTRIBUTE', 'VERBATIM', 'WILDCARD', 'AS_T',
    'SEMICOLON',
  ],
  leftPrecedence: [
    ['LOWEST'], ['TEXTEXPR'], ['ORX'], ['OR'], ['ISMISSING'], ['MODIFIER'], ['RP', 'RB', 'RSQB'],
    ['EXACT'], ['TERM'], ['QUOTE', 'SQUOTE'], ['LP', 'LB', 'LSQB'], ['TILDE', 'MINUS'], ['AND'],
    ['ARROW'], ['COLON'], ['NOT_EQUAL', 'EQUALS'], ['GE', 'GT', 'LE', 'LT'], ['NUMBER'], ['SIZE'],
    ['STAR'], ['TAGLIST'], ['TERMLIST'], ['PREFIX', 'SUFFIX', 'CONTAINS'], ['PERCENT'],
    ['ATTRIBUTE'], ['VERBATIM', 'WILDCARD'],
  ],
  // A quoted string, `as` or `ismissing` where none fits is read as a plain term.
  fallback: { EXACT: 'TERM', AS_T: 'TERM', ISMISSING: 'TERM' },
  rules: RULES.trim()
    .split('\n')
    .map((line) => {
      const m = /^(\w+) ::=\s*(.*?)\s*(?:\[(\w+)\])?$/.exec(line.trim())!;
      const rhs = m[2] === '' ? [] : m[2]!.split(/\s+/);
      return m[3] === undefined ? { lhs: m[1]!, rhs } : { lhs: m[1]!, rhs, prec: m[3] };
    }),
};
