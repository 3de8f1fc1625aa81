/**
 * The phrase rules of `promptInjection()`, one list per family, matched against folded text
 * (see `fold.ts`: lower case, separators as single spaces). Each pattern is written so that it
 * cannot backtrack badly: literal alternatives, bounded repeats, no quantified group inside a
 * quantified group with overlapping choices.
 *
 * The families, and why each phrase shape is in it:
 * - `override`: asks the model to drop the instructions it was given ("ignore all previous
 *   instructions"). A possessive `my`/`our` is not accepted, so a customer's "please ignore
 *   my previous email" passes.
 * - `prompt_leak`: asks the model to reveal its system prompt.
 * - `role_play`: switches the model to a persona without rules ("you are now DAN", "act as
 *   the system", "enable jailbreak mode").
 * - `fake_delimiter`: chat-template tokens and fake system turns that try to end the user's
 *   part and start a privileged one (`<|im_start|>system`, `[INST]`, "System: ignore …").
 */

const VERB = '(?:ignore|disregard|forget|override|bypass|abandon|discard|neglect|set aside|skip)';
const DET =
  '(?:(?:all|any|the|your|these|those|every|each|of|everything|that|this|such|both|prior|above|previous|earlier|other|rest of) ){0,4}';
const ADJ =
  '(?:(?:previous|prior|above|earlier|preceding|former|foregoing|initial|original|old|system|developer|safety|existing|given|hidden|current|preset|programmed|built in|security|content|ethical|moral|base|core) ){0,3}';
const NOUN =
  '(?:instructions?|prompts?|rules|directions|directives?|guidelines?|guidance|context|messages|constraints|guardrails?|programming|policies|restrictions|limitations|training|commands|safeguards|ethics|morals|principles|system prompt|orders)';

const EN_OVERRIDE = [
  `\\b${VERB} (?:about |of )?${DET}${ADJ}${NOUN}\\b`,
  "\\b(?:ignore|disregard|forget)(?: about)? (?:everything|all|anything|whatever|what)(?: (?:that |which )?(?:you(?: were| have been|'ve been| got) (?:told|given|taught|instructed)|was said|came|is written))? (?:before|above|so far|previously|earlier|up to now|until now|prior to this)\\b",
  '\\b(?:this|the following|these|my|our) (?:instructions?|message|rules?|prompt|directive|order) (?:override|overrides|supersede|supersedes|takes? precedence over|replaces?|cancels?) (?:all |any |the |your )*(?:previous|prior|earlier|other|system|original|existing)\\b',
  "\\b(?:you are|you're) (?:no longer|not) (?:bound|restricted|limited|constrained|governed) by\\b",
  '\\byou (?:have|has|now have) no (?:restrictions|limitations|rules|filters|guidelines|content policy|ethical guidelines|boundaries)\\b',
  '\\byour (?:new|real|actual|true|updated) (?:instructions|task|goal|objective|mission|purpose|directive|orders) (?:is|are)\\b',
  '\\b(?:new|updated|revised) (?:system )?(?:instructions|directives) (?:from|by) (?:the )?(?:admin|administrator|developer|system|openai|anthropic|your creators?)\\b',
  "\\b(?:do not|don't|never) (?:follow|obey|listen to|apply) (?:your|the|any) (?:previous |prior |original |system |earlier )?(?:instructions|rules|guidelines|prompt|system prompt)\\b",
];

/** Override phrases in other languages: the same shapes, with a word such as "previous" or "all" required. */
const OTHER_OVERRIDE = [
  // French
  "\\b(?:ignore[zr]?|oublie[zr]?|ne tenez pas compte d(?:es|e)|ne tiens pas compte d(?:es|e)) (?:toutes (?:les |tes |vos |ces )?(?:instructions|consignes|directives|règles)|(?:les |tes |vos |ces )?(?:instructions|consignes|directives|règles) (?:précédentes|antérieures|ci dessus|initiales|d'avant|du système|système))",
  // German
  '\\b(?:ignorier(?:e|en sie)?|vergiss|vergessen sie|missachte|missachten sie) (?:alle |sämtliche )?(?:die |deine |ihre )?(?:vorherigen|bisherigen|vorigen|obigen|früheren|ursprünglichen|system) ?(?:anweisungen|instruktionen|befehle|regeln|vorgaben)',
  '\\b(?:ignorier(?:e|en sie)?|vergiss|vergessen sie) (?:alle|sämtliche) (?:anweisungen|instruktionen|regeln|vorgaben)',
  // Spanish
  '\\b(?:ignora|ignore|olvida|olvide|omite|descarta) (?:todas )?(?:las |tus |sus )?(?:instrucciones|indicaciones|reglas|órdenes) (?:anteriores|previas|de arriba|del sistema|originales)',
  '\\b(?:ignora|ignore|olvida|olvide) todas (?:las |tus |sus )?(?:instrucciones|indicaciones|reglas)',
  // Italian
  '\\b(?:ignora|dimentica|ignori|dimentichi) (?:tutte )?(?:le )?(?:istruzioni|indicazioni|regole) (?:precedenti|di prima|del sistema|originali)',
  // Portuguese
  '\\b(?:ignore|ignora|esqueça|esqueca|desconsidere) (?:todas )?(?:as )?(?:instruções|instrucoes|regras|orientações) (?:anteriores|prévias|acima|do sistema)',
  // Dutch
  '\\b(?:negeer|vergeet) (?:alle )?(?:de |je |jouw )?(?:vorige|eerdere|voorgaande|bovenstaande|oorspronkelijke) (?:instructies|regels|aanwijzingen)',
  // Russian
  '(?:игнорируй|игнорируйте|забудь|забудьте|проигнорируй|проигнорируйте) (?:все )?(?:предыдущие |прошлые |прежние |системные |свои )?(?:инструкции|указания|правила)',
  // Chinese
  '(?:忽略|无视|忽视|忘记|忘掉|忽略掉)(?:之前|以上|上面|前面|先前|所有|你的|系统)的?(?:所有)?的?(?:指令|指示|说明|规则|提示)',
  // Japanese
  '(?:以前|前|上記|これまで|今まで|全て|すべて)の(?:指示|命令|ルール|指令)を(?:無視|忘れ)',
  // Korean
  '(?:이전|위의|모든) ?(?:지시|지침|명령|규칙)(?:을|를|은|는)? ?(?:무시|잊어)',
];

const PROMPT_LEAK = [
  '\\b(?:reveal|show|print|repeat|output|leak|display|dump|disclose|share|tell me|give me|write out|echo|recite|spell out|copy|paste)(?: me| us)? (?:your |the |all |all of your |all your |of your )?(?:(?:full|entire|complete|original|hidden|initial|secret|exact|verbatim|first|confidential|internal|above) ){0,2}(?:system prompt|system message|system instructions|initial prompt|initial instructions|hidden instructions|original instructions|developer message|developer prompt|pre ?prompt|instructions you were given|rules you were given|configuration prompt)\\b',
  '\\bwhat (?:is|was|are|were) (?:your|the) (?:system prompt|initial instructions|hidden instructions|original instructions|developer message)\\b',
  '\\brepeat (?:the |all )?(?:words|text|everything) (?:above|before this)\\b',
];

const PERSONA =
  '(?:dan\\b|[a-z]*gpt\\b|jailbroken|unfiltered|uncensored|unrestricted|unbound|unlimited|evil|free from|freed from|developer mode|dev mode|god mode|the system|system administrator|an? (?:ai|assistant|chatbot|model|llm) (?:without|with no|that has no|free)|not an? (?:ai|assistant)|no longer an? (?:ai|assistant)|(?:my )?(?:deceased |late |dead )?grand(?:ma|mother|pa|father)|mongo tom|stan\\b|dude\\b|aim\\b|sydney)';

const ROLE_PLAY = [
  `\\byou are (?:now |no longer |from now on |going to be |about to become )(?:a |an |the |my |in |called |named )?${PERSONA}`,
  '\\byou are now (?:a |an )?(?:[a-z]+ )?(?:hacker|criminal|villain|character|persona)\\b',
  `\\b(?:act|behave|respond|answer|reply|speak|operate|function|roleplay|role play) (?:as|like) (?:if you (?:are|were) )?(?:the |a |an |my )?${PERSONA}`,
  `\\bpretend (?:to be|you are|you're|that you are|that you're) (?:the |a |an |my )?(?:${PERSONA}|a human)`,
  '\\b(?:enable|activate|enter|switch to|turn on|go into|engage|unlock)(?: the)? (?:dan|god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil) mode\\b',
  '\\b(?:developer|dan) mode (?:enabled|activated|is on)\\b',
  '\\byou are no longer an? (?:ai|assistant|chatbot|support bot|bot|language model)\\b',
  '\\bdo anything now\\b',
  '\\b(?:from now on|henceforth|starting now),? (?:you (?:are|will act|will respond|will answer|will behave|will ignore|will only|will obey|must obey|must ignore|shall)|your (?:name|role|new role|job|purpose) is)\\b',
  '\\byour new (?:role|persona|identity|name) is\\b',
  '\\bsimulate (?:a |an )?(?:unrestricted|unfiltered|jailbroken|evil|uncensored)\\b',
  // French, German, Spanish persona switches
  '\\btu es (?:maintenant|désormais) (?:dan\\b|une? (?:ia|assistant) sans|libéré)',
  '\\bdu bist (?:jetzt|nun|ab sofort) (?:dan\\b|eine? (?:ki|assistent) ohne|uneingeschränkt|frei von)',
  '\\b(?:ahora eres|a partir de ahora eres) (?:dan\\b|una? (?:ia|asistente) sin)',
];

/** Matched against lower-cased text before separators are folded: these are made of them. */
const FAKE_DELIMITER = [
  '<\\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\\|>',
  '\\[/?inst\\]',
  '<</?sys>>',
  '</?(?:system|system_prompt|sys_prompt)>',
  '(?:^|\\n)[ \\t]*#{2,}[ \\t]*(?:system|new instructions?|admin instructions?)\\b',
  '\\b(?:end of|begin(?:ning of)?|start of) (?:the )?(?:system prompt|user input|new instructions|admin instructions|developer instructions)\\b',
  '(?:^|\\n)[ \\t]*(?:system|developer|admin)(?: (?:message|prompt|override|instructions?|note))?[ \\t]*:[ \\t]*(?:ignore|you |from now|new |the user|assistant|disregard|override|forget|reveal)',
];

/** A family of phrase rules, as one regular expression. */
export interface PhraseFamily {
  readonly family: 'override' | 'prompt_leak' | 'role_play' | 'fake_delimiter';
  /** What the finding's message says the argument does. */
  readonly says: string;
  readonly pattern: RegExp;
  /** Whether it reads the folded text (separators collapsed) or the lower-cased raw text. */
  readonly reads: 'folded' | 'lower';
}

const join = (parts: string[]) => new RegExp(parts.map((p) => `(?:${p})`).join('|'));

/** Every phrase family, in the order they are tried. */
export const PHRASE_FAMILIES: readonly PhraseFamily[] = [
  {
    family: 'override',
    says: 'asks to ignore or replace earlier instructions',
    pattern: join([...EN_OVERRIDE, ...OTHER_OVERRIDE]),
    reads: 'folded',
  },
  {
    family: 'prompt_leak',
    says: 'asks to reveal the system prompt',
    pattern: join(PROMPT_LEAK),
    reads: 'folded',
  },
  {
    family: 'role_play',
    says: 'asks the model to switch to a persona without its rules',
    pattern: join(ROLE_PLAY),
    reads: 'folded',
  },
  {
    family: 'fake_delimiter',
    says: 'holds a chat-template token or a fake system turn',
    pattern: join(FAKE_DELIMITER),
    reads: 'lower',
  },
];
