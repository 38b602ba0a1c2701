# bash completion for ha-preflight                          -*- shell-script -*-
#
# Installed as /usr/share/bash-completion/completions/ha-preflight. Works with the
# bash-completion package (_init_completion, _filedir) and, more plainly, without it.
# tests/docs.rs checks that every command, option and --format value of
# `ha-preflight --help` is here.

# The check ids of the spec ha-preflight would load: the first column of
# `ha-preflight list`, without its "# spec:" comment and its "ID" header (ids start with
# a lowercase letter). A --spec PATH or --root DIR already on the command line is passed
# along (an image's ids are those of the spec it ships).
_ha_preflight_ids()
{
    # `words` and `cword` are _ha_preflight's (bash scoping is dynamic).
    local prog=${words[0]} spec="" root="" i
    command -v -- "$prog" >/dev/null 2>&1 || prog=ha-preflight
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --spec) ((i + 1 < cword)) && spec=${words[i + 1]} ;;
            --spec=*) spec=${words[i]#--spec=} ;;
            --root) ((i + 1 < cword)) && root=${words[i + 1]} ;;
            --root=*) root=${words[i]#--root=} ;;
        esac
    done
    local -a args=(list)
    [[ -n $spec ]] && args+=(--spec "$spec")
    [[ -n $root ]] && args+=(--root "$root")
    local id _rest
    "$prog" "${args[@]}" 2>/dev/null | while read -r id _rest; do
        [[ $id == [a-z]* ]] && printf '%s\n' "$id"
    done
}

_ha_preflight()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -s || return
    else
        COMPREPLY=()
        # Readline splits `--format=json` into `--format`, `=`, `json`: join them again.
        local j
        words=()
        cword=0
        for ((j = 0; j < ${#COMP_WORDS[@]}; j++)); do
            if [[ ${COMP_WORDS[j]} == = && ${words[${#words[@]} - 1]-} == --* ]] && ((j > 0)); then
                words[${#words[@]} - 1]+="="
                if ((j < COMP_CWORD)); then
                    ((j++))
                    words[${#words[@]} - 1]+="${COMP_WORDS[j]-}"
                fi
            else
                words+=("${COMP_WORDS[j]}")
            fi
            ((j <= COMP_CWORD)) && cword=$((${#words[@]} - 1))
        done
        cur=${words[cword]-}
        prev=${words[cword - 1]-}
        if [[ $cur == --*=* ]]; then
            prev=${cur%%=*}
            cur=${cur#*=}
            split=true
        fi
    fi

    local commands="boot image build-host list explain collect"
    local formats="human json junit nagios prometheus"

    # The argument of an option.
    case $prev in
        --format)
            COMPREPLY=($(compgen -W "$formats" -- "$cur"))
            return
            ;;
        --spec | --overrides)
            if declare -F _filedir >/dev/null 2>&1; then
                _filedir toml
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
            ;;
        --output)
            if declare -F _filedir >/dev/null 2>&1; then
                _filedir
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
            ;;
        --bundle)
            # A bundle: FILE.tar, or the folder `collect --output DIR/` wrote.
            if declare -F _filedir >/dev/null 2>&1; then
                _filedir
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
            ;;
        --root | --proc | --sys)
            if declare -F _filedir >/dev/null 2>&1; then
                _filedir -d
            else
                COMPREPLY=($(compgen -d -- "$cur"))
            fi
            return
            ;;
        --only | --skip)
            # A comma-separated list: complete the id after the last comma.
            local done_ids="" part=$cur
            if [[ $cur == *,* ]]; then
                done_ids=${cur%,*},
                part=${cur##*,}
            fi
            local id
            COMPREPLY=()
            for id in $(compgen -W "$(_ha_preflight_ids)" -- "$part"); do
                COMPREPLY+=("$done_ids$id")
            done
            compopt -o nospace 2>/dev/null
            return
            ;;
        --fail-on)
            COMPREPLY=($(compgen -W "error warning none" -- "$cur"))
            return
            ;;
        --timeout | --wait)
            # A duration with its unit: 500ms, 30s, 5m, 1h.
            COMPREPLY=($(compgen -W "500ms 10s 30s 1m 5m 10m" -- "$cur"))
            return
            ;;
    esac
    $split && return

    # The command (the first word that is neither an option nor an option's argument),
    # and whether explain already has its id.
    # After `--bundle F`, further words are bundles too (a fleet), unless one names the
    # command.
    local command="" have_id=false bundles=false i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --bundle)
                ((i++))
                bundles=true
                ;;
            --spec | --format | --output | --root | --overrides | --only | --skip | \
                --timeout | --wait | --proc | --sys | --fail-on)
                ((i++))
                bundles=false
                ;;
            -*) bundles=false ;;
            *)
                if $bundles && ! [[ -z $command && " $commands " == *" ${words[i]} "* ]]; then
                    :
                elif [[ -z $command ]]; then
                    command=${words[i]}
                    bundles=false
                elif [[ $command == explain ]]; then
                    have_id=true
                fi
                ;;
        esac
    done

    if [[ $cur == -* ]]; then
        # The options each command takes (any other is a usage error).
        local opts="--spec --format --output -v --verbose -q --quiet -h --help -V --version"
        local run="--overrides --only --skip --timeout --fail-on"
        case $command in
            image) opts+=" $run --root" ;;
            "" | boot) opts+=" $run --wait --proc --sys --bundle" ;;
            build-host) opts+=" $run" ;;
            collect) opts="--spec --output --timeout -q --quiet -h --help" ;;
            list | explain) opts+=" --root" ;;
        esac
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi

    if $bundles; then
        # Another bundle of the fleet.
        if declare -F _filedir >/dev/null 2>&1; then
            _filedir
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
    elif [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    elif [[ $command == explain ]] && ! $have_id; then
        COMPREPLY=($(compgen -W "$(_ha_preflight_ids)" -- "$cur"))
    fi
} &&
    complete -F _ha_preflight ha-preflight

# ex: filetype=sh
